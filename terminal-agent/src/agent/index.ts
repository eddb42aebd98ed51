/** The terminal agent: its config file, and the gate and POS runners that compose the tap, readers, risk, hotlist and upload. */
export * from './agentConfig.js';
export type * from './agentEvents.js';
export { TapCounters, type TapCounts } from './tapCounters.js';
export { SamSlot, type SamReaders, type SamSlotOptions } from './samSlot.js';
export { serveTap, type TapSettings } from './serveTap.js';
export { type BackgroundTask, uploadTask, hotlistTask } from './backgroundTasks.js';
export { TerminalRunner, type RunnerOptions, type RunnerReaders, type HotlistInfo } from './terminalRunner.js';
export { GateRunner, type GateRunnerOptions } from './gateRunner.js';
export { PosRunner, PosSaleError, type PosRunnerOptions, type PosSaleRefusal } from './posRunner.js';
export {
  openGateAgent,
  openPosAgent,
  openTerminalParts,
  readerRolesOf,
  type AgentHooks,
  type TerminalAgent,
  type TerminalParts,
  RECORDS_FILE,
  HOTLIST_FILE,
} from './agentAssembly.js';

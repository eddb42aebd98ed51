import { VPCD_PORTS } from './constants.js';
import type { ComponentStatus, StackDownResult, StackState, StackStatus } from './types.js';

function component(name: string, c: ComponentStatus, extra = ''): string {
  const state = !c.running
    ? 'stopped'
    : c.owner === 'ours'
      ? `running, started by us (pid ${c.pid ?? '?'})`
      : 'running, external';
  return `${name.padEnd(7)}${state}${extra}${c.detail === undefined ? '' : ` (${c.detail})`}`;
}

/** One line per component, for `citycard stack status`. */
export function formatStatus(status: StackStatus): string[] {
  const readers = status.pcscd.vpcdReaders
    ? `; vpcd readers listening on ${VPCD_PORTS.join(', ')}`
    : status.pcscd.running
      ? '; vpcd readers NOT listening'
      : '';
  const route = status.route.present
    ? `quickack fix present${status.route.owner === 'ours' ? ', added by us' : ', external'}`
    : status.route.conflicting
      ? 'a route without quickack is in the way: APDUs take ~44 ms'
      : 'quickack fix absent: APDUs take ~44 ms';
  return [
    component('pcscd', status.pcscd, readers),
    component('redis', status.redis),
    `${'route'.padEnd(7)}${route}`,
    `${'state'.padEnd(7)}${status.stateDir}`,
  ];
}

/** What `citycard stack up` prints: what it started, the status lines, then warnings. */
export function formatUp(state: StackState): string[] {
  const head = state.started.length === 0 ? 'stack already up: nothing started' : `started: ${state.started.join(', ')}`;
  return [head, ...formatStatus(state), ...state.warnings.map((w) => `warning: ${w}`)];
}

/** What `citycard stack down` prints. */
export function formatDown(result: StackDownResult): string[] {
  return [result.stopped.length === 0 ? 'nothing of ours was running' : `stopped: ${result.stopped.join(', ')}`];
}

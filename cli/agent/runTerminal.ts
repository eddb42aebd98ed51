/**
 * `agent run` in gate and POS mode: the runner on this terminal's screen (stdout), until SIGTERM
 * or SIGINT stop it gracefully (the tap in flight finishes and is shown, then the store closes).
 * A POS reads amounts in yuan from stdin, one per line (`q` or end of input stops it).
 */
import { createInterface } from 'node:readline';
import type { AgentConfig } from '../../terminal-agent/src/agent/agentConfig.js';
import { type AgentHooks, type TerminalAgent, openGateAgent, openPosAgent } from '../../terminal-agent/src/agent/agentAssembly.js';
import type { GateRunner } from '../../terminal-agent/src/agent/gateRunner.js';
import { PosSaleError, type PosRunner } from '../../terminal-agent/src/agent/posRunner.js';
import { formatSummary, formatTapResult, parseYuan } from './agentFormat.js';
import { type DisplayStream, StatusDisplay } from './statusDisplay.js';

export interface TerminalIo {
  readonly stdout: DisplayStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
}

/** Exit codes: 0 stopped by a signal or `q`; 1 the runner stopped by itself (readers gone). */
export async function runGate(config: AgentConfig, io: TerminalIo): Promise<number> {
  let say: (text: string) => void = () => {};
  const agent = await openGateAgent(config, hooks((text) => say(text)));
  const display = show(agent, io, (text) => (say = text));
  agent.runner.start();
  const stoppedByItself = await untilStopped(agent.runner);
  return finish(agent, display, stoppedByItself);
}

export async function runPos(config: AgentConfig, io: TerminalIo): Promise<number> {
  let say: (text: string) => void = () => {};
  const agent = await openPosAgent(config, hooks((text) => say(text)));
  const display = show(agent, io, (text) => (say = text));
  agent.runner.start();
  const stopped = untilStopped(agent.runner);
  const input = sellFromInput(agent.runner, io, display).then(() => 'endOfInput' as const);
  const first = await Promise.race([input, stopped]);
  if (first === 'endOfInput') {
    await agent.runner.stop();
    return finish(agent, display, false);
  }
  return finish(agent, display, first);
}

function hooks(say: (text: string) => void): AgentHooks {
  return {
    onHotlistEvent: (event) => {
      if (event.type === 'updated') say(`hotlist: version ${event.update.version} (${event.update.kind}, ${event.update.size} cards)`);
      else if (event.type === 'syncFailed') say(`hotlist: ${event.error.message}`);
    },
    onUploadEvent: (event) => {
      if (event.type === 'acked') say(`upload: batch of ${event.records} acknowledged`);
      else if (event.type === 'rejected') say(`upload: batch refused: ${event.error.message}`);
    },
  };
}

/** Wire the runner's events to the screen; `bindSay` receives the notice printer. */
function show(agent: TerminalAgent<GateRunner | PosRunner>, io: TerminalIo, bindSay: (say: (text: string) => void) => void): StatusDisplay {
  const runner = agent.runner;
  const display = new StatusDisplay(io.stdout, () => runner.status());
  bindSay((text) => display.line(text));
  runner.on('state', () => display.refresh());
  runner.on('ready', (terminal) => display.line(`SAM open: terminal ${terminal}`));
  runner.on('tap', (report) => display.line(formatTapResult(report.result)));
  runner.on('fault', (error) => display.line(`fault: ${error.name}: ${error.message}`));
  display.start();
  return display;
}

/**
 * Resolves when the runner has stopped: true if it stopped by itself, false after SIGTERM or
 * SIGINT (which stop it).
 */
function untilStopped(runner: GateRunner | PosRunner): Promise<boolean> {
  return new Promise((resolve) => {
    let signalled = false;
    const onSignal = (): void => {
      signalled = true;
      void runner.stop();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    const onState = (state: string): void => {
      if (state !== 'stopped') return;
      runner.off('state', onState);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(!signalled);
    };
    runner.on('state', onState);
  });
}

async function finish(agent: TerminalAgent<GateRunner | PosRunner>, display: StatusDisplay, stoppedByItself: boolean): Promise<number> {
  await agent.runner.stop();
  // The last status line reads the store: show it before the store closes.
  display.stop();
  const counts = agent.runner.status().counts;
  await agent.close();
  for (const line of formatSummary(counts)) display.line(line);
  return stoppedByItself ? 1 : 0;
}

/** Read amounts and sell until `q`, the end of input, or the runner stops. */
async function sellFromInput(pos: PosRunner, io: TerminalIo, display: StatusDisplay): Promise<void> {
  const tty = io.stdin.isTTY === true;
  const lines = createInterface({ input: io.stdin, ...(tty ? { output: process.stdout, terminal: true } : { terminal: false }) });
  // In raw mode Ctrl-C reaches readline, not the process: pass it on.
  lines.on('SIGINT', () => process.emit('SIGINT'));
  const onState = (state: string): void => {
    if (state === 'stopping') lines.close();
  };
  pos.on('state', onState);
  const ask = (): void => {
    display.pause();
    if (tty) {
      lines.setPrompt('amount ¥ ');
      lines.prompt();
    }
  };
  ask();
  try {
    for await (const line of lines) {
      const text = line.trim();
      if (text === 'q' || text === 'quit') return;
      if (text === '') {
        ask();
        continue;
      }
      let amount: number;
      try {
        amount = parseYuan(text);
      } catch (err) {
        display.line(`amount: ${(err as Error).message}`);
        ask();
        continue;
      }
      display.resume();
      try {
        await pos.sell(amount);
      } catch (err) {
        if (!(err instanceof PosSaleError)) return;
        display.line(`sale refused: ${err.message}`);
      }
      ask();
    }
  } finally {
    pos.off('state', onState);
    lines.close();
    display.resume();
  }
}

/**
 * `citycard agent run --config FILE [--mode M]`: the one terminal agent. The config file says
 * which mode runs (gate, pos, kiosk, bureau) and how; `--mode` overrides it. Secrets come from
 * the environment only: CITYCARD_TERMINAL_TOKEN (gate, POS, kiosk), CITYCARD_HSM_TOKEN (kiosk
 * top-ups, bureau), CITYCARD_BACKEND_TOKEN (bureau: a clerk's session).
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT (or all cards done in bureau mode); 1 stopped by itself
 * (readers gone, bureau batch short); 2 the configuration or the start failed.
 */
import { Command, InvalidArgumentError } from 'commander';
import { AGENT_MODES, type AgentConfig, AgentConfigError, type AgentMode, loadAgentConfig } from '../../terminal-agent/src/agent/agentConfig.js';

interface RunOptions {
  readonly config: string;
  readonly mode?: AgentMode;
}

const EXIT_CANNOT_START = 2;

function parseMode(value: string): AgentMode {
  if (!(AGENT_MODES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${AGENT_MODES.join(', ')}`);
  return value as AgentMode;
}

export function agentCommand(): Command {
  const agent = new Command('agent').description('the terminal agent: a gate, POS, kiosk or bureau station, as its config file says');
  agent
    .command('run')
    .description('run the agent in the mode of its config file (credential from CITYCARD_TERMINAL_TOKEN; exit 0 stopped, 1 stopped by itself, 2 cannot start)')
    .requiredOption('--config <file>', 'the agent\'s config file (JSON)')
    .option('--mode <mode>', `run this mode instead of the file's (${AGENT_MODES.join(', ')})`, parseMode)
    .action(async (opts: RunOptions) => {
      process.exitCode = await runAgent(opts);
    });
  return agent;
}

async function runAgent(opts: RunOptions): Promise<number> {
  const say = (text: string): void => void process.stderr.write(`agent: ${text}\n`);
  let config: AgentConfig;
  try {
    config = loadAgentConfig(opts.config, { mode: opts.mode });
  } catch (err) {
    if (!(err instanceof AgentConfigError)) throw err;
    say(`bad configuration: ${err.message}`);
    return EXIT_CANNOT_START;
  }
  try {
    // Each mode's modules load only when it runs: `citycard` itself starts fast.
    switch (config.mode) {
      case 'gate':
        return await (await import('./runTerminal.js')).runGate(config, { stdout: process.stdout, stdin: process.stdin });
      case 'pos':
        return await (await import('./runTerminal.js')).runPos(config, { stdout: process.stdout, stdin: process.stdin });
      case 'kiosk':
        return await (await import('./runKiosk.js')).runKiosk(config, process.env, say);
      case 'bureau':
        return await runBureau(config);
    }
  } catch (err) {
    if (!(err instanceof AgentConfigError)) {
      say(`cannot run: ${(err as Error).message}`);
      return EXIT_CANNOT_START;
    }
    say(`bad configuration: ${err.message}`);
    return EXIT_CANNOT_START;
  }
}

/** The personalization station of `bureau issue-batch`, configured from the file. */
async function runBureau(config: AgentConfig): Promise<number> {
  const bureau = config.bureau!;
  const { issueBatch } = await import('../issuance/issueBatch.js');
  return issueBatch(
    {
      backend: config.backend!.url,
      station: bureau.station,
      reader: bureau.reader ?? config.readers.card!,
      hsmSocket: bureau.hsmSocket,
      count: bureau.count,
      queue: bureau.queue,
      swapCards: bureau.swapCards,
      cardTimeout: bureau.cardTimeoutS,
    },
    process.env,
    process.stderr,
  );
}

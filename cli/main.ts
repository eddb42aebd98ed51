/**
 * The `citycard` command: one subcommand group per component. Each component exports its own
 * commander factory; this file only composes them.
 */
import { Command } from 'commander';
import { cardCommand } from '@citycard/card-os/cli';
import { psamCommand } from '@citycard/card-os/psam-cli';
import { hsmCommand } from '@citycard/hsm-sim/cli';
import { backendCommand } from '@citycard/backend/cli';
import { agentCommand } from './agent/agentCommand.js';
import { benchCommand } from './bench/command.js';
import { bureauCommand } from './issuance/bureauCommand.js';
import { stackCommand } from './stack/command.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('citycard')
    .description('CityCard: city citizen-card platform (card OS, terminals, backend, HSM)')
    .showHelpAfterError();
  program.addCommand(stackCommand());
  program.addCommand(cardCommand());
  program.addCommand(psamCommand());
  program.addCommand(hsmCommand());
  program.addCommand(backendCommand());
  program.addCommand(bureauCommand());
  program.addCommand(agentCommand());
  program
    .command('demo')
    .description('end-to-end demo: local PC/SC stack, a virtual card, a terminal identity session through pcscd')
    .action(async () => {
      const { runDemo } = await import('./demo/demo.js');
      await runDemo();
    });
  program.addCommand(benchCommand());
  await program.parseAsync(argv);
}

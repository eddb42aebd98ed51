/**
 * The `citycard` command: one subcommand group per component. Each component exports its own
 * commander factory; this file only composes them.
 */
import { Command } from 'commander';
import { stackCommand } from './stack/command.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('citycard')
    .description('CityCard: city citizen-card platform (card OS, terminals, backend, HSM)')
    .showHelpAfterError();
  program.addCommand(stackCommand());
  await program.parseAsync(argv);
}

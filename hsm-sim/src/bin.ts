/**
 * Stand-alone entry of the HSM command (`node --import tsx hsm-sim/src/bin.ts serve …`), for a
 * process that should load nothing but the HSM; `citycard hsm …` is the usual way in.
 */
import { hsmCommand } from './cli.js';

await hsmCommand().parseAsync(process.argv);

#!/usr/bin/env node
// The `citycard` command. Sources are TypeScript run through tsx's loader, so a clone needs
// no build step; the loader is registered here, before the CLI module graph is imported.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv);

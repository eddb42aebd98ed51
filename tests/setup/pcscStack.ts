/**
 * Global setup of the suites that drive the real PC/SC stack: bring the stack up (pcscd with the
 * vpcd driver, the latency route, Redis) unless it already runs, and on teardown stop exactly what
 * this run started.
 */
import { stackDown, stackUp } from '../../cli/stack/index.js';

export default async function setup(): Promise<() => Promise<void>> {
  const state = await stackUp();
  for (const warning of state.warnings) console.warn(`stack: ${warning}`);
  const started = [...state.started];
  return async () => {
    if (started.length > 0) await stackDown({ only: started });
  };
}

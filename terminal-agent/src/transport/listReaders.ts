import { PcscContext } from './pcscContext.js';

/**
 * Names of the readers pcscd knows, e.g. `["Virtual PCD 00 00", "Virtual PCD 00 01"]`. Waits up to
 * `timeoutMs` (default 1000) for pcscd's first report, so with no reader at all it takes that long.
 * Throws `TransportError` if pcscd is not running.
 */
export async function listPcscReaders(timeoutMs = 1000): Promise<string[]> {
  const context = await PcscContext.open();
  try {
    return await context.listReaders(timeoutMs);
  } finally {
    await context.close();
  }
}

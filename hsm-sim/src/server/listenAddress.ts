/**
 * Where the HSM listens: a unix socket (mode 0600) or TCP on the loopback interface only. Any
 * other address is refused before anything is bound.
 */
import { BindAddressError } from '../errors.js';

export type ListenAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** The only TCP hosts accepted: IPv4 and IPv6 loopback, as literals (no name resolution). */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1'];

/** Longest unix socket path most systems accept (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/**
 * Throws `BindAddressError` for a TCP host other than 127.0.0.1 or ::1, a port outside 0 to
 * 65535 (0: any free port), or an empty or over-long socket path.
 */
export function checkListenAddress(address: ListenAddress): void {
  if ('path' in address) {
    const bytes = Buffer.byteLength(address.path);
    if (bytes === 0 || bytes > MAX_SOCKET_PATH) {
      throw new BindAddressError(`unix socket path must be 1 to ${MAX_SOCKET_PATH} bytes, got ${bytes}`);
    }
    return;
  }
  if (!LOOPBACK_HOSTS.includes(address.host)) {
    throw new BindAddressError(`the HSM listens on loopback only (127.0.0.1 or ::1), not "${address.host.slice(0, 64)}"`);
  }
  if (!Number.isInteger(address.port) || address.port < 0 || address.port > 65535) {
    throw new BindAddressError(`port must be 0 to 65535, got ${address.port}`);
  }
}

/** `unix:PATH` or `tcp:HOST:PORT` (IPv6 hosts in brackets). */
export function describeAddress(address: ListenAddress): string {
  if ('path' in address) return `unix:${address.path}`;
  return address.host.includes(':') ? `tcp:[${address.host}]:${address.port}` : `tcp:${address.host}:${address.port}`;
}

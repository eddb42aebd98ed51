/**
 * Listening and graceful shutdown: `close()` stops accepting connections, lets in-flight
 * requests finish (up to the grace period, then cuts the remaining connections) and only then
 * runs `onClosed` (closing the database).
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';

export interface RunningServer {
  /** 'http://HOST:PORT'. */
  url: string;
  port: number;
  /** Idempotent; resolves once in-flight requests ended and `onClosed` ran. */
  close(): Promise<void>;
}

/** @throws the listen error (e.g. EADDRINUSE). */
export async function startServer(
  app: Express,
  opts: { host: string; port: number; graceSeconds: number; logger: Logger; onClosed?: () => void },
): Promise<RunningServer> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      opts.logger.info('shutting down: no new connections, finishing in-flight requests');
      const timer = setTimeout(() => {
        opts.logger.warn('grace period over: closing remaining connections');
        server.closeAllConnections();
      }, opts.graceSeconds * 1000);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        try {
          opts.onClosed?.();
        } finally {
          opts.logger.info('stopped');
          resolve();
        }
      });
      // Keep-alive connections with no request in flight would otherwise hold close() open.
      server.closeIdleConnections();
    });
    return closing;
  };
  return { url: `http://${host}:${port}`, port, close };
}

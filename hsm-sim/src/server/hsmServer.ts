/**
 * The HSM's socket server: a unix socket created with mode 0600, or TCP on loopback only; every
 * connection must authenticate before anything else (see connection.ts).
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { type HsmCore } from '../core/hsmCore.js';
import { BindAddressError } from '../errors.js';
import { DEFAULT_MAX_FRAME } from '../protocol/framing.js';
import { type HsmLogger, serveConnection } from './connection.js';
import { type ListenAddress, checkListenAddress, describeAddress } from './listenAddress.js';

export interface HsmServerOptions {
  readonly core: HsmCore;
  readonly address: ListenAddress;
  /** Time a new connection has to authenticate; default 5 s. */
  readonly authTimeoutMs?: number;
  /** Largest frame accepted; default 64 MiB. */
  readonly maxFrame?: number;
  /** Connections open at once; default 256. */
  readonly maxConnections?: number;
  /** How often expired personalization sessions are swept; default 10 s. */
  readonly sweepIntervalMs?: number;
  readonly logger?: HsmLogger;
}

/** Whether something accepts connections on the unix socket at `path`. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes a stale socket file; refuses a live socket or anything that is not a socket. */
async function clearSocketPath(path: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new BindAddressError(`${path} exists and is not a socket; not replacing it`);
  if (await socketInUse(path)) throw new BindAddressError(`another process is listening on ${path}`);
  unlinkSync(path);
}

function listen(server: Server, address: ListenAddress): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in address) {
      // Bind with a restrictive umask so the socket is never reachable by others, not even
      // between bind and chmod; listen() binds synchronously for a path.
      const previous = process.umask(0o177);
      try {
        server.listen(address.path, () => resolve());
      } finally {
        process.umask(previous);
      }
    } else {
      server.listen({ host: address.host, port: address.port, ipv6Only: address.host === '::1' }, () => resolve());
    }
  }).then(() => {
    server.removeAllListeners('error');
    if ('path' in address) chmodSync(address.path, 0o600);
  });
}

export class HsmServer {
  readonly #server: Server;
  readonly #address: ListenAddress;
  readonly #sockets = new Set<Socket>();
  readonly #core: HsmCore;
  #sweeper: NodeJS.Timeout | undefined;

  private constructor(server: Server, address: ListenAddress, core: HsmCore) {
    this.#server = server;
    this.#address = address;
    this.#core = core;
  }

  /**
   * Starts listening. Throws `BindAddressError` for a non-loopback host, a path that exists and
   * is not a stale socket, or an address in use; other bind errors as Node reports them.
   */
  static async start(options: HsmServerOptions): Promise<HsmServer> {
    checkListenAddress(options.address);
    if ('path' in options.address) await clearSocketPath(options.address.path);
    const server = createServer({ allowHalfOpen: false });
    const hsm = new HsmServer(server, options.address, options.core);
    server.maxConnections = options.maxConnections ?? 256;
    server.on('connection', (socket) => {
      hsm.#sockets.add(socket);
      socket.once('close', () => hsm.#sockets.delete(socket));
      serveConnection(socket, {
        core: options.core,
        authTimeoutMs: options.authTimeoutMs ?? 5000,
        maxFrame: options.maxFrame ?? DEFAULT_MAX_FRAME,
        logger: options.logger,
      });
    });
    try {
      await listen(server, options.address);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new BindAddressError(`${describeAddress(options.address)} is in use`, { cause: err });
      }
      throw err;
    }
    const { core } = options;
    hsm.#sweeper = setInterval(() => core.context.sessions.sweep(core.context.clock()), options.sweepIntervalMs ?? 10_000);
    hsm.#sweeper.unref();
    core.note('operator', 'listen', { detail: hsm.address });
    options.logger?.info(`HSM listening on ${hsm.address}`);
    return hsm;
  }

  /** `unix:PATH` or `tcp:HOST:PORT` with the port actually bound. */
  get address(): string {
    if ('path' in this.#address) return describeAddress(this.#address);
    const bound = this.#server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : this.#address.port;
    return describeAddress({ host: this.#address.host, port });
  }

  /** The TCP port bound (useful with port 0), or undefined for a unix socket. */
  get port(): number | undefined {
    const bound = this.#server.address();
    return typeof bound === 'object' && bound !== null ? bound.port : undefined;
  }

  /** Stops accepting, drops open connections and removes the socket file. Does not close the core. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    if ('path' in this.#address) {
      try {
        unlinkSync(this.#address.path);
      } catch {
        // Already removed by Node or by hand: nothing to clean.
      }
    }
    this.#core.note('operator', 'stop', { detail: this.address });
  }
}

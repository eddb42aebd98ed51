/**
 * `KeyCustodian` over the HSM socket: connects, proves its credential (and checks the server's
 * proof, so a process impersonating the HSM is refused), then sends typed calls, pipelined, each
 * answered in order. Errors come back as the HSM's `HsmError` classes; a broken connection or a
 * timeout as `HsmTransportError`.
 */
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { z } from 'zod';
import { NONCE_LENGTH, clientProof, deriveAuthKey, parseToken, proofsEqual, serverProof } from '../auth/credentials.js';
import { type ClientIdentity } from '../auth/roles.js';
import { HsmAuthError, HsmRequestError, HsmTransportError, hsmErrorFromWire } from '../errors.js';
import type { CommandName, CommandParams, CommandResult } from '../protocol/commandMap.js';
import { COMMAND_SCHEMAS } from '../protocol/commandSchemas.js';
import { DEFAULT_MAX_FRAME, FrameDecoder, encodeFrame } from '../protocol/framing.js';
import { PROTOCOL_VERSION, type ServerMessage, helloMessage, serverMessage } from '../protocol/messages.js';
import { type ListenAddress, describeAddress } from '../server/listenAddress.js';
import { CustodianBase } from './custodianBase.js';

export interface HsmClientOptions {
  /** The HSM's unix socket or loopback TCP address. */
  readonly address: ListenAddress;
  /** `NAME.SECRET` as printed by `hsm client add`. */
  readonly token: string;
  /** Time to connect and authenticate; default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Time for one call; default 30 s. */
  readonly callTimeoutMs?: number;
}

interface Pending {
  readonly name: string;
  readonly resolve: (wire: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Reads server messages from a socket, one at a time. */
class MessageReader {
  readonly #queue: ServerMessage[] = [];
  #waiter: ((m: ServerMessage) => void) | undefined;
  onMessage: ((m: ServerMessage) => void) | undefined;

  deliver(m: ServerMessage): void {
    if (this.onMessage !== undefined) this.onMessage(m);
    else if (this.#waiter !== undefined) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(m);
    } else this.#queue.push(m);
  }

  next(): Promise<ServerMessage> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }
}

export class HsmClient extends CustodianBase {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  readonly #callTimeoutMs: number;
  #nextId = 1;
  #closed: Error | undefined;
  /** Who this client authenticated as. */
  readonly identity: ClientIdentity;

  private constructor(socket: Socket, reader: MessageReader, identity: ClientIdentity, callTimeoutMs: number) {
    super();
    this.#socket = socket;
    this.identity = identity;
    this.#callTimeoutMs = callTimeoutMs;
    reader.onMessage = (m) => this.#receive(m);
    socket.on('close', () => this.#fail(new HsmTransportError('the HSM closed the connection')));
  }

  /**
   * Connects and authenticates. Throws `HsmAuthError` when the HSM refuses the credential or
   * cannot prove it knows it, `HsmTransportError` when the HSM cannot be reached in time.
   */
  static async connect(options: HsmClientOptions): Promise<HsmClient> {
    const token = parseToken(options.token);
    const authKey = deriveAuthKey(token.secret);
    token.secret.fill(0);
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const socket = connect('path' in options.address ? { path: options.address.path } : { host: options.address.host, port: options.address.port });
    const reader = new MessageReader();
    const decoder = new FrameDecoder(DEFAULT_MAX_FRAME);
    let failure: Error | undefined;
    let failed: ((err: Error) => void) | undefined;
    const fail = (err: Error): void => {
      failure ??= err;
      failed?.(failure);
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const raw of decoder.push(chunk)) {
          const parsed = serverMessage.safeParse(raw);
          if (!parsed.success) throw new HsmTransportError('malformed message from the HSM');
          reader.deliver(parsed.data);
        }
      } catch (err) {
        fail(err instanceof HsmTransportError ? err : new HsmTransportError('malformed frame from the HSM', { cause: err }));
        socket.destroy();
      }
    });
    socket.on('error', (err) => fail(new HsmTransportError(`cannot reach the HSM at ${describeAddress(options.address)}`, { cause: err })));
    socket.on('close', () => fail(new HsmTransportError('the HSM closed the connection during authentication')));

    const aborted = new Promise<never>((_, reject) => {
      failed = reject;
      if (failure !== undefined) reject(failure);
    });
    const timer = setTimeout(() => {
      fail(new HsmTransportError(`no answer from the HSM at ${describeAddress(options.address)} within ${timeoutMs} ms`));
      socket.destroy();
    }, timeoutMs);
    try {
      const hello = helloMessage.parse(await Promise.race([reader.next(), aborted]));
      if (hello.protocol !== PROTOCOL_VERSION) throw new HsmTransportError(`HSM protocol ${hello.protocol} is not supported`);
      const serverNonce = Buffer.from(hello.nonce, 'hex');
      const clientNonce = randomBytes(NONCE_LENGTH);
      const proof = clientProof(authKey, serverNonce, clientNonce, token.name);
      socket.write(encodeFrame({ type: 'auth', client: token.name, nonce: clientNonce.toString('hex'), proof: proof.toString('hex') }));
      const answer = await Promise.race([reader.next(), aborted]);
      if (answer.type === 'error') throw hsmErrorFromWire(answer.code, answer.message);
      if (answer.type !== 'welcome') throw new HsmTransportError(`unexpected ${answer.type} from the HSM`);
      const expected = serverProof(authKey, serverNonce, clientNonce, token.name);
      if (!proofsEqual(expected, Buffer.from(answer.proof, 'hex'))) {
        throw new HsmAuthError('the server could not prove it holds this credential: not the HSM');
      }
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      return new HsmClient(socket, reader, { name: token.name, role: answer.role }, options.callTimeoutMs ?? 30_000);
    } catch (err) {
      socket.destroy();
      if (err instanceof z.ZodError) throw new HsmTransportError('malformed hello from the HSM', { cause: err });
      throw err;
    } finally {
      clearTimeout(timer);
      authKey.fill(0);
      aborted.catch(() => undefined);
    }
  }

  protected override call<N extends CommandName>(name: N, params: CommandParams<N>): Promise<CommandResult<N>> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const schemas = COMMAND_SCHEMAS[name];
    let wire: unknown;
    try {
      wire = (schemas.params as z.ZodType<unknown, unknown>).encode(params);
    } catch (err) {
      const message = err instanceof z.ZodError ? (err.issues[0]?.message ?? 'invalid parameters') : (err as Error).message;
      return Promise.reject(new HsmRequestError(`${name}: ${message}`, { cause: err }));
    }
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new HsmTransportError(`${name}: no answer from the HSM within ${this.#callTimeoutMs} ms`));
      }, this.#callTimeoutMs);
      this.#pending.set(id, { name, resolve, reject, timer });
      this.#socket.write(encodeFrame({ type: 'call', id, command: name, params: wire }));
    }).then((result) => {
      try {
        return schemas.result.decode(result);
      } catch (err) {
        throw new HsmTransportError(`${name}: malformed result from the HSM`, { cause: err });
      }
    });
  }

  /** Closes the connection; pending calls reject with `HsmTransportError`. */
  override async close(): Promise<void> {
    if (this.#socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }

  #receive(m: ServerMessage): void {
    if (m.type !== 'result' && m.type !== 'error') return;
    if (m.type === 'error' && m.id === null) {
      // The server is closing the connection (its reason is in the message).
      this.#fail(hsmErrorFromWire(m.code, m.message));
      return;
    }
    if (m.id === null) return;
    const pending = this.#pending.get(m.id);
    if (pending === undefined) return;
    this.#pending.delete(m.id);
    clearTimeout(pending.timer);
    if (m.type === 'result') pending.resolve(m.result);
    else pending.reject(hsmErrorFromWire(m.code, m.message));
  }

  #fail(err: Error): void {
    this.#closed ??= err;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(err);
      this.#pending.delete(id);
    }
  }
}

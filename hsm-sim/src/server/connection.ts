/**
 * One client connection: hello with a fresh nonce, the client's proof within the auth timeout,
 * then calls. Nothing but an `auth` message is accepted before authentication; a malformed frame
 * or an unauthenticated request closes the connection. Commands run one at a time, in order.
 */
import { randomBytes } from 'node:crypto';
import { type Socket } from 'node:net';
import { z } from 'zod';
import { NONCE_LENGTH } from '../auth/credentials.js';
import { type ClientIdentity } from '../auth/roles.js';
import { type HsmCore, toHsmError } from '../core/hsmCore.js';
import { HsmRequestError } from '../errors.js';
import { COMMAND_SCHEMAS, isCommandName } from '../protocol/commandSchemas.js';
import { FrameDecoder, encodeFrame } from '../protocol/framing.js';
import { PROTOCOL_VERSION, authMessage, callMessage } from '../protocol/messages.js';

/** Minimal logger the server reports to (pino fits); messages never carry key material. */
export interface HsmLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ConnectionOptions {
  readonly core: HsmCore;
  readonly authTimeoutMs: number;
  readonly maxFrame: number;
  readonly logger?: HsmLogger | undefined;
}

function requestError(err: z.ZodError): HsmRequestError {
  const issue = err.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'params' : issue.path.join('.');
  return new HsmRequestError(`invalid ${where}: ${issue?.message ?? 'malformed'}`, { cause: err });
}

/** Serves one accepted socket until it closes. */
export function serveConnection(socket: Socket, options: ConnectionOptions): void {
  const { core } = options;
  const decoder = new FrameDecoder(options.maxFrame);
  const serverNonce = randomBytes(NONCE_LENGTH);
  let client: ClientIdentity | undefined;
  let closing = false;

  const send = (message: unknown): void => {
    if (!socket.destroyed) socket.write(encodeFrame(message));
  };
  const refuse = (code: string, message: string): void => {
    if (closing) return;
    closing = true;
    send({ type: 'error', id: null, code, message });
    socket.end();
    // A peer that never reads must not keep the socket open.
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const timer = setTimeout(() => {
    if (client !== undefined) return;
    core.note('?', 'authenticate', { outcome: 'refused', detail: 'no authentication within the timeout' });
    refuse('AUTH_FAILED', 'authentication timeout');
  }, options.authTimeoutMs);
  timer.unref();

  const authenticate = (raw: unknown): void => {
    const parsed = authMessage.safeParse(raw);
    if (!parsed.success) {
      core.note('?', 'authenticate', { outcome: 'refused', detail: 'request before authentication' });
      refuse('AUTH_FAILED', 'authenticate first');
      return;
    }
    const m = parsed.data;
    try {
      const { identity, serverProof } = core.authenticate(m.client, serverNonce, Buffer.from(m.nonce, 'hex'), Buffer.from(m.proof, 'hex'));
      client = identity;
      clearTimeout(timer);
      send({ type: 'welcome', role: identity.role, proof: serverProof.toString('hex') });
      options.logger?.info(`client ${identity.name} (${identity.role}) authenticated`);
    } catch (err) {
      const error = toHsmError(err);
      options.logger?.warn('client authentication refused');
      refuse(error.code, error.message);
    }
  };

  const call = (who: ClientIdentity, raw: unknown): void => {
    const parsed = callMessage.safeParse(raw);
    if (!parsed.success) {
      refuse('BAD_REQUEST', 'malformed message');
      return;
    }
    const { id, command } = parsed.data;
    try {
      if (!isCommandName(command)) {
        core.note(who.name, command.replace(/[^A-Za-z0-9]/g, '').slice(0, 40) || '?', { outcome: 'error', detail: 'unknown command' });
        throw new HsmRequestError(`unknown command ${command.slice(0, 40)}`);
      }
      core.authorize(who, command);
      const schemas = COMMAND_SCHEMAS[command];
      let params;
      try {
        params = schemas.params.decode(parsed.data.params);
      } catch (err) {
        const error = err instanceof z.ZodError ? requestError(err) : toHsmError(err);
        core.note(who.name, command, { outcome: 'error', detail: error.code });
        throw error;
      }
      const result = core.execute(who, command, params as never);
      send({ type: 'result', id, result: (schemas.result as z.ZodType<unknown, unknown>).encode(result) });
    } catch (err) {
      const error = toHsmError(err);
      send({ type: 'error', id, code: error.code, message: error.message });
    }
  };

  socket.on('data', (chunk: Buffer) => {
    let messages: unknown[];
    try {
      messages = decoder.push(chunk);
    } catch {
      core.note(client?.name ?? '?', 'frame', { outcome: 'refused', detail: 'malformed frame' });
      refuse('BAD_REQUEST', 'malformed frame');
      return;
    }
    for (const message of messages) {
      if (closing || socket.destroyed) return;
      if (client === undefined) authenticate(message);
      else call(client, message);
    }
  });
  socket.on('close', () => clearTimeout(timer));
  // 'close' follows every 'error'; nothing else to do, but an unhandled 'error' would crash.
  socket.on('error', () => undefined);

  send({ type: 'hello', protocol: PROTOCOL_VERSION, nonce: serverNonce.toString('hex') });
}

/**
 * Messages of the HSM socket protocol (inside frames).
 *
 * ```
 * server → client  { type: 'hello', protocol: 1, nonce }                      on connect
 * client → server  { type: 'auth', client, nonce, proof }                     within the auth timeout
 * server → client  { type: 'welcome', role, proof } | { type: 'error', id: null, code, message } then close
 * client → server  { type: 'call', id, command, params }                      any number, pipelined
 * server → client  { type: 'result', id, result } | { type: 'error', id, code, message }
 * ```
 * Nonces and proofs are hex (32 bytes each); see auth/credentials.ts.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

const hex32 = z.string().regex(/^[0-9A-Fa-f]{64}$/);

export const helloMessage = z.object({ type: z.literal('hello'), protocol: z.number().int(), nonce: hex32 });
export const authMessage = z.object({ type: z.literal('auth'), client: z.string().max(64), nonce: hex32, proof: hex32 });
export const welcomeMessage = z.object({ type: z.literal('welcome'), role: z.enum(['admin', 'bureau', 'load', 'clearing', 'terminal']), proof: hex32 });
export const callMessage = z.object({
  type: z.literal('call'),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  command: z.string().max(64),
  params: z.unknown(),
});
export const resultMessage = z.object({ type: z.literal('result'), id: z.number().int(), result: z.unknown() });
export const errorMessage = z.object({
  type: z.literal('error'),
  id: z.number().int().nullable(),
  code: z.string(),
  message: z.string(),
});
export const serverMessage = z.discriminatedUnion('type', [welcomeMessage, resultMessage, errorMessage, helloMessage]);

export type HelloMessage = z.infer<typeof helloMessage>;
export type AuthMessage = z.infer<typeof authMessage>;
export type CallMessage = z.infer<typeof callMessage>;
export type ServerMessage = z.infer<typeof serverMessage>;

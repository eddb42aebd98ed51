/**
 * Wire schemas of every command's parameters and result. The server decodes (and so validates)
 * parameters with them and encodes results; the client does the reverse.
 */
import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { KEY_USAGES } from '../keystore/keyRecord.js';
import type { CommandName, CommandParams, CommandResult } from './commandMap.js';
import { tacBatchCodec, verdictsCodec } from './tacBatch.js';
import { bytesIn, bytesOut, kcvHex, keyId, keyLabel, keyVersion, sessionId, u16, u32, u8 } from './wireCodecs.js';

const noParams = z.object({}).strict() as unknown as z.ZodType<Record<string, never>>;
const nothing = z.null();
const role = z.enum(ROLES as [string, ...string[]]) as unknown as z.ZodType<(typeof ROLES)[number]>;
const generateUsage = z.enum(['purse-master', 'transport-master', 'kek']);
const generateKey = z.object({ label: keyLabel, version: keyVersion, usage: generateUsage, exportable: z.boolean().optional() });
const cardNumber = bytesIn(8);
const terminal = bytesIn(6);
const date = bytesIn(4);
const time = bytesIn(3);
const mac4 = bytesIn(4);
const wrappedOut = z.object({ kcv: kcvHex, wrapped: bytesOut(16).optional() });
const session = z.object({ session: sessionId });

const purchaseTacCheck = z.object({
  cardNumber,
  keyVersion,
  amount: u32,
  terminal,
  ttsn: u32,
  type: u8.optional(),
  date,
  time,
  tac: mac4,
});

type Schemas = {
  [N in CommandName]: {
    readonly params: z.ZodType<CommandParams<N>, unknown>;
    readonly result: z.ZodType<CommandResult<N>, unknown>;
  };
};

export const COMMAND_SCHEMAS: Schemas = {
  ping: {
    params: noParams,
    result: z.object({ client: z.string(), role, time: z.string() }),
  },
  generateKey: { params: generateKey, result: kcvHex },
  importKey: {
    params: generateKey.extend({
      components: z.array(z.object({ value: bytesIn(16), kcv: kcvHex })).min(1).max(9),
      kcv: kcvHex.optional(),
    }),
    result: kcvHex,
  },
  keyCheckValue: { params: keyId, result: kcvHex },
  listKeys: {
    params: noParams,
    result: z.array(
      z.object({
        label: z.string(),
        version: keyVersion,
        kind: z.enum(['des2', 'rsa']),
        usage: z.enum(KEY_USAGES as ['purse-master', 'transport-master', 'kek', 'ca']),
        exportable: z.boolean(),
        kcv: kcvHex,
        createdAt: z.string(),
      }),
    ),
  },
  exportKey: { params: z.object({ key: keyId, kek: keyId }), result: z.object({ wrapped: bytesOut(16), kcv: kcvHex }) },
  diversifyCardKeys: {
    params: z.object({ cardNumber, keyVersion, kek: keyId.optional() }),
    result: z.object({ DPK: wrappedOut, DLK: wrappedOut, DTK: wrappedOut, DAMK: wrappedOut }),
  },
  addClient: { params: z.object({ name: z.string().max(64), role }), result: z.object({ token: z.string() }) },
  removeClient: { params: z.object({ name: z.string().max(64) }), result: nothing },
  listClients: {
    params: noParams,
    result: z.array(z.object({ name: z.string(), role, createdAt: z.string() })),
  },
  verifyLoadMac1AndIssueMac2: {
    params: z.object({
      cardNumber,
      keyVersion,
      random: bytesIn(4),
      onlineCounter: u16,
      balance: u32,
      amount: u32,
      terminal,
      type: u8.optional(),
      date,
      time,
      mac1: mac4,
    }),
    result: z.union([z.object({ ok: z.literal(true), mac2: bytesOut(4) }), z.object({ ok: z.literal(false) })]),
  },
  verifyLoadTac: {
    params: z.object({
      cardNumber,
      keyVersion,
      newBalance: u32,
      onlineCounter: u16,
      amount: u32,
      terminal,
      type: u8.optional(),
      date,
      time,
      tac: mac4,
    }),
    result: z.boolean(),
  },
  verifyPurchaseTac: { params: purchaseTacCheck, result: z.boolean() },
  verifyPurchaseTacs: { params: z.object({ checks: tacBatchCodec }), result: verdictsCodec },
  signCardCertificate: { params: z.object({ cardNumber, modulus: bytesIn(256) }), result: bytesOut() },
  caCertificate: { params: noParams, result: bytesOut() },
  startPersonalization: {
    params: z.object({
      target: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('card'), cardNumber }),
        z.object({ kind: z.literal('psam') }),
      ]),
      transportKeyVersion: keyVersion.optional(),
    }),
    result: z.object({ session: sessionId, hostRandom: bytesOut(8) }),
  },
  openPersonalization: {
    params: z.object({ session: sessionId, csn: bytesIn(8), cardRandom: bytesIn(8), cardCryptogram: bytesIn(8) }),
    result: bytesOut(),
  },
  wrapPutKey: { params: z.object({ session: sessionId, keyId: u8, keyVersion }), result: bytesOut() },
  wrapStoreData: {
    params: z.object({ session: sessionId, object: u16, offset: u16.optional(), data: bytesIn() }),
    result: z.array(bytesOut()),
  },
  wrapStorePins: { params: session, result: z.array(bytesOut()) },
  wrapGenerateKeyPair: { params: session, result: bytesOut() },
  wrapEndPersonalization: { params: session, result: bytesOut() },
  abortPersonalization: { params: session, result: nothing },
};

/** Whether `name` is a command. */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_SCHEMAS, name);
}

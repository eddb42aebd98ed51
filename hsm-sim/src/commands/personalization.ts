/**
 * Personalization, HSM side (docs/personalization.md §4): open a secure session with a blank card
 * or PSAM through its transport key, then produce each secured command. Key values are diversified
 * and encrypted here; the station only ever relays the APDUs.
 */
import { diversifyKey, equalBytes, keyCheckValue as desKcv, toHex } from '@citycard/protocols';
import type {
  OpenPersonalizationInput,
  PersonalizationStart,
  SessionInput,
  StartPersonalizationInput,
  WrapPutKeyInput,
  WrapStoreDataInput,
} from '../custodian.js';
import { type ClientIdentity } from '../auth/roles.js';
import { HsmConfigurationError, HsmRequestError, HsmSessionError } from '../errors.js';
import { MTRK } from '../keystore/keyLabels.js';
import { checkKeyId } from '../keystore/keyStore.js';
import {
  INS_END_PERSONALIZATION,
  INS_GENERATE_KEY_PAIR,
  INS_PUT_KEY,
  INS_STORE_DATA,
  OBJECT_PIN,
  OBJECT_PUK,
  PUT_KEY_IDS,
  STORE_DATA_HEADER,
  pinBlock,
} from '../personalization/commandSet.js';
import { randomDigits } from '../personalization/pinMailer.js';
import { MAX_SM_PLAINTEXT, SM_BLOCK, cardCryptogram, externalAuthenticate, secureCommand, sessionKeys } from '../personalization/secureMessaging.js';
import { type SessionRecord } from '../personalization/sessionStore.js';
import { withKey } from './cardKeys.js';
import { type CommandContext } from './context.js';

/** Test profile PIN and PUK (card interface §7). */
export const TEST_PIN = '123456';
export const TEST_PUK = '12345678';

/** Object bytes per STORE DATA command. */
export const STORE_DATA_CHUNK = MAX_SM_PLAINTEXT - STORE_DATA_HEADER;

function openSession(ctx: CommandContext, client: ClientIdentity, id: string): SessionRecord {
  const session = ctx.sessions.get(id, client.name, ctx.clock());
  if (session.state !== 'open' || session.keys === undefined || session.chain === undefined) {
    throw new HsmSessionError('SESSION_STATE', 'the secure channel is not open yet (call openPersonalization first)');
  }
  return session;
}

/** Wraps one command in the session's channel and advances the MAC chain. */
function advance(session: SessionRecord, ins: number, p1: number, p2: number, plaintext: Uint8Array, le?: number): Buffer {
  const command = secureCommand(session.keys!, session.chain!, ins, p1, p2, plaintext, le);
  session.chain!.fill(0);
  session.chain = command.cmac;
  return command.apdu;
}

function cardNumberOf(session: SessionRecord, what: string): Buffer {
  if (session.target.kind !== 'card') throw new HsmRequestError(`${what} is for citizen cards, not PSAMs`);
  return Buffer.from(session.target.cardNumber);
}

/**
 * Starts a session for a blank card or PSAM: checks that MTRK (version default 1) is present and
 * returns the host random RH for INITIALIZE PERSONALIZATION. Throws KEY_NOT_FOUND / KEY_USAGE,
 * `HsmRequestError` on a card number that is not 8 bytes.
 */
export function startPersonalization(ctx: CommandContext, client: ClientIdentity, input: StartPersonalizationInput): PersonalizationStart {
  const transportKeyVersion = input.transportKeyVersion ?? 1;
  checkKeyId(MTRK, transportKeyVersion);
  if (input.target.kind === 'card' && input.target.cardNumber.length !== 8) {
    throw new HsmRequestError(`card number must be 8 bytes, got ${input.target.cardNumber.length}`);
  }
  const mtrk = ctx.keys.info(MTRK, transportKeyVersion);
  if (mtrk.usage !== 'transport-master') throw new HsmRequestError(`${MTRK} version ${transportKeyVersion} is not a transport master key`);
  const target = input.target.kind === 'card' ? { kind: 'card' as const, cardNumber: Buffer.from(input.target.cardNumber) } : { kind: 'psam' as const };
  const session = ctx.sessions.create(
    { id: ctx.random(16).toString('hex'), owner: client.name, target, transportKeyVersion, hostRandom: ctx.random(SM_BLOCK) },
    ctx.clock(),
  );
  return { session: session.id, hostRandom: Buffer.from(session.hostRandom) };
}

/**
 * Derives KT from MTRK and the CSN, the session keys from RC and RH, and checks the card
 * cryptogram. Returns EXTERNAL AUTHENTICATE. Throws `HsmSessionError`: CRYPTOGRAM_INVALID (and
 * the session is closed) on a wrong cryptogram, SESSION_STATE when already open.
 */
export function openPersonalization(ctx: CommandContext, client: ClientIdentity, input: OpenPersonalizationInput): Buffer {
  const session = ctx.sessions.get(input.session, client.name, ctx.clock());
  if (session.state !== 'started') throw new HsmSessionError('SESSION_STATE', 'the secure channel is already open');
  const keys = withKey(ctx, { label: MTRK, version: session.transportKeyVersion }, 'transport-master', (mtrk) => {
    const kt = diversifyKey(mtrk, input.csn);
    try {
      return sessionKeys(kt, input.cardRandom, session.hostRandom);
    } finally {
      kt.fill(0);
    }
  });
  if (!equalBytes(cardCryptogram(keys.mac, session.hostRandom, input.cardRandom), input.cardCryptogram)) {
    keys.enc.fill(0);
    keys.mac.fill(0);
    ctx.sessions.close(session.id);
    throw new HsmSessionError('CRYPTOGRAM_INVALID', 'the card cryptogram does not verify; the session is closed');
  }
  const command = externalAuthenticate(keys.mac, input.cardRandom, session.hostRandom);
  session.keys = keys;
  session.chain = command.cmac;
  session.state = 'open';
  return command.apdu;
}

/**
 * PUT KEY: for a card, the card key diversified from its master (version `keyVersion`) by the
 * session's card number; for a PSAM, the master itself. Plaintext key (16) ‖ KCV (3). Throws
 * `HsmRequestError` on a key id that does not fit the target, KEY_NOT_FOUND / KEY_USAGE.
 */
export function wrapPutKey(ctx: CommandContext, client: ClientIdentity, input: WrapPutKeyInput): Buffer {
  const session = openSession(ctx, client, input.session);
  const spec = PUT_KEY_IDS.get(input.keyId);
  if (spec === undefined || spec.target !== session.target.kind) {
    throw new HsmRequestError(`key id ${input.keyId.toString(16).padStart(2, '0')} is not a ${session.target.kind} key`);
  }
  checkKeyId(spec.master, input.keyVersion);
  return withKey(ctx, { label: spec.master, version: input.keyVersion }, 'purse-master', (master) => {
    const key = spec.diversified ? diversifyKey(master, cardNumberOf(session, 'a diversified key')) : Buffer.from(master);
    const plaintext = Buffer.concat([key, desKcv(key, 3)]);
    try {
      return advance(session, INS_PUT_KEY, input.keyVersion, input.keyId, plaintext);
    } finally {
      key.fill(0);
      plaintext.fill(0);
    }
  });
}

/**
 * STORE DATA of non-secret object bytes, split into commands of at most {@link STORE_DATA_CHUNK}
 * bytes at increasing offsets. Throws `HsmRequestError` for the PIN and PUK objects (chosen by the
 * HSM: see {@link wrapStorePins}), an object id outside 0 to FFFF, empty data, or data past
 * offset FFFF.
 */
export function wrapStoreData(ctx: CommandContext, client: ClientIdentity, input: WrapStoreDataInput): Buffer[] {
  const offset = input.offset ?? 0;
  if (!Number.isInteger(input.object) || input.object < 0 || input.object > 0xffff) {
    throw new HsmRequestError('object id must be 0000 to FFFF');
  }
  if (input.object === OBJECT_PIN || input.object === OBJECT_PUK) {
    throw new HsmRequestError('the PIN and PUK are chosen by the HSM: use wrapStorePins');
  }
  if (input.data.length === 0) throw new HsmRequestError('STORE DATA needs at least one byte');
  if (!Number.isInteger(offset) || offset < 0 || offset + input.data.length - 1 > 0xffff) {
    throw new HsmRequestError('object offset must stay within 0000 to FFFF');
  }
  const session = openSession(ctx, client, input.session);
  const apdus: Buffer[] = [];
  for (let at = 0; at < input.data.length; at += STORE_DATA_CHUNK) {
    const chunk = input.data.subarray(at, at + STORE_DATA_CHUNK);
    const header = Buffer.alloc(STORE_DATA_HEADER);
    header.writeUInt16BE(input.object, 0);
    header.writeUInt16BE(offset + at, 2);
    apdus.push(advance(session, INS_STORE_DATA, 0x00, 0x00, Buffer.concat([header, chunk])));
  }
  return apdus;
}

/**
 * STORE DATA of the PIN then the PUK. Test profile: the fixed {@link TEST_PIN} and
 * {@link TEST_PUK}; production: random 6-digit PIN and 8-digit PUK, delivered to the PIN mailer
 * before anything is returned. Throws `HsmConfigurationError` without a mailer (production),
 * `HsmRequestError` for a PSAM session.
 */
export function wrapStorePins(ctx: CommandContext, client: ClientIdentity, input: SessionInput): Buffer[] {
  const session = openSession(ctx, client, input.session);
  const cardNumber = toHex(cardNumberOf(session, 'a PIN'));
  let pin = TEST_PIN;
  let puk = TEST_PUK;
  if (ctx.profile !== 'test') {
    if (ctx.pinMailer === undefined) throw new HsmConfigurationError('no PIN mailer is configured; PINs cannot be issued');
    pin = randomDigits(6);
    puk = randomDigits(8);
    ctx.pinMailer.deliver(cardNumber, pin, puk);
  }
  const apdus: Buffer[] = [];
  for (const [object, digits] of [[OBJECT_PIN, pin], [OBJECT_PUK, puk]] as const) {
    const plaintext = Buffer.concat([Buffer.from([object >> 8, object & 0xff, 0x00, 0x00]), pinBlock(digits)]);
    apdus.push(advance(session, INS_STORE_DATA, 0x00, 0x00, plaintext));
    plaintext.fill(0);
  }
  return apdus;
}

/** GENERATE KEY PAIR (MAC only, Le `00` for the 256-byte modulus). Citizen cards only. */
export function wrapGenerateKeyPair(ctx: CommandContext, client: ClientIdentity, input: SessionInput): Buffer {
  const session = openSession(ctx, client, input.session);
  cardNumberOf(session, 'GENERATE KEY PAIR');
  return advance(session, INS_GENERATE_KEY_PAIR, 0x00, 0x00, Buffer.alloc(0), 0x00);
}

/** END PERSONALIZATION (MAC only); the session is forgotten once the command is built. */
export function wrapEndPersonalization(ctx: CommandContext, client: ClientIdentity, input: SessionInput): Buffer {
  const session = openSession(ctx, client, input.session);
  try {
    return advance(session, INS_END_PERSONALIZATION, 0x00, 0x00, Buffer.alloc(0));
  } finally {
    ctx.sessions.close(session.id);
  }
}

/** Forgets the caller's session. Throws SESSION_NOT_FOUND when it is not the caller's. */
export function abortPersonalization(ctx: CommandContext, client: ClientIdentity, input: SessionInput): void {
  const session = ctx.sessions.get(input.session, client.name, ctx.clock());
  ctx.sessions.close(session.id);
}

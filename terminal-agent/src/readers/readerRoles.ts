/**
 * Which slot holds the cardholder's card and which the PSAM: by configured reader names first,
 * else by the card's ATR, and when the ATR does not tell, by asking the card for the PSAM
 * application.
 *
 * The card OS gives every CityCard chip the same ATR (card interface spec §1, historical bytes
 * `80 58 "CITYCARD"`), the PSAM included, so that ATR alone cannot tell them apart: a card with
 * it is sent SELECT of the PSAM AID, and it is a SAM if it answers 9000 (or 6283: a blocked PSAM
 * is still a PSAM). Any other ATR is a SAM only if configured as one, else a cardholder card.
 */
import { fromHex, selectPsamCommand } from '@citycard/protocols';
import type { CardTransport } from '../transport/cardTransport.js';
import type { ReaderRole } from './readerManager.js';

/** `3B 8A 80 01 ‖ 80 58 "CITYCARD" ‖ TCK`: the ATR of every CityCard chip, citizen card and PSAM alike. */
export const CITYCARD_ATR: Buffer = fromHex('3B8A8001 80584349545943415244 C0');

/** A reader-name pattern: a string matches as a substring of the name, a RegExp by `test()`. */
export type ReaderNamePattern = string | RegExp;

export interface ReaderRoleConfig {
  /** Names of the cardholder-card readers (e.g. `['PCD 00 00']`). */
  readonly card?: readonly ReaderNamePattern[];
  /** Names of the SAM readers; checked before `card`, so a name matching both is a SAM reader. */
  readonly sam?: readonly ReaderNamePattern[];
  /** ATRs (exact bytes) of SAMs from other issuers, for readers not named above. */
  readonly samAtrs?: readonly Uint8Array[];
  /**
   * SELECT the PSAM application on a card with `CITYCARD_ATR` in a reader not named above, to
   * tell a PSAM from a citizen card (default true). When false such a card is a `'card'`.
   */
  readonly probeCityCardAtr?: boolean;
}

/** The SELECT of the PSAM application the probe sends: `00 A4 04 00 08 F04349545953414D 00`. */
const SELECT_PSAM_APDU: Buffer = selectPsamCommand().apdu;

/** The role configured for reader `name`, or undefined if no pattern names it. */
export function roleByName(name: string, config: ReaderRoleConfig): ReaderRole | undefined {
  const matches = (patterns: readonly ReaderNamePattern[] | undefined): boolean =>
    patterns?.some((p) => (typeof p === 'string' ? name.includes(p) : p.test(name))) ?? false;
  if (matches(config.sam)) return 'sam';
  if (matches(config.card)) return 'card';
  return undefined;
}

/**
 * What the ATR says: `'sam'` for a configured SAM ATR, `'cityCard'` for `CITYCARD_ATR` (a citizen
 * card or a PSAM: ask the card), `'card'` for anything else.
 */
export function roleByAtr(atr: Uint8Array, config: ReaderRoleConfig): ReaderRole | 'cityCard' {
  if (config.samAtrs?.some((known) => Buffer.compare(Buffer.from(known), Buffer.from(atr)) === 0)) return 'sam';
  if (Buffer.compare(CITYCARD_ATR, Buffer.from(atr)) === 0) return 'cityCard';
  return 'card';
}

/**
 * Power the card on and SELECT the PSAM application: true if it answers 9000 or 6283. Leaves the
 * session open (the slot's user powers on again). Throws what the transport throws.
 */
export async function hasPsamApplication(transport: CardTransport): Promise<boolean> {
  await transport.powerOn();
  const response = await transport.transmit(SELECT_PSAM_APDU);
  const sw = response.length >= 2 ? response.readUInt16BE(response.length - 2) : -1;
  return sw === 0x9000 || sw === 0x6283;
}

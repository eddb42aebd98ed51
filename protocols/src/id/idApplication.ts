/**
 * Identifiers of the ID application (card interface spec §2-3).
 */

/** AID of the ID application: F0 "CITYID" 01. */
export const ID_AID = Buffer.from('F043495459494401', 'hex');

/** Short file identifiers of the ID application's EFs. */
export const ID_SFI = {
  /** Card info, template E1, always readable. */
  cardInfo: 0x01,
  /** Cardholder, template E2, readable once the PIN is verified. */
  cardholder: 0x02,
  /** DER X.509 certificate of the card key, always readable. */
  certificate: 0x03,
} as const;

/** Tries of the PIN (ref 01) and the PUK (ref 81) after personalization or a reset. */
export const ID_PIN_TRIES = 3;
export const ID_PUK_TRIES = 10;

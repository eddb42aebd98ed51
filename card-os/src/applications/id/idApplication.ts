/**
 * The ID application (card interface spec §3): AID F0 43 49 54 59 49 44 01 (`ID_AID` of
 * @citycard/protocols), DF FID DF01.
 *
 * | EF | FID  | SFI | content                          | read         | update |
 * |----|------|-----|----------------------------------|--------------|--------|
 * | card info   | 0001 | 01 | `E1` template (≤ 64 bytes)  | always       | never  |
 * | cardholder  | 0002 | 02 | `E2` template (≤ 512 bytes) | PIN verified | never  |
 * | certificate | 0003 | 03 | DER X.509 (≤ 2048 bytes)    | always       | never  |
 *
 * PIN ref 01: 4-8 digits, 3 tries. PUK ref 81: 8 digits, 10 tries, unblocks the PIN; when it is
 * blocked the application is dead. Contents are written by personalization only. The FCI's
 * `A5` holds the application label `50` "CITYID".
 */
import { ID_AID, ID_PIN_TRIES, ID_PUK_TRIES, ID_SFI } from '@citycard/protocols';
import { ALWAYS, NEVER, pinVerified } from '../../fs/accessCondition.js';
import type { TransparentEfSpec } from '../../fs/efSpec.js';
import { defineApplication, type Application } from '../../runtime/application.js';
import type { PinSpec } from '../../security/pinSpec.js';
import { internalAuthenticate } from './internalAuthenticate.js';

export const ID_DF_FID = 0xdf01;
export const ID_PIN_REF = 0x01;
export const ID_PUK_REF = 0x81;
/** Name of the card key under `df/<AID>/key/`. */
export const ID_CARD_KEY_NAME = 'auth';

export const ID_PIN: PinSpec = { ref: ID_PIN_REF, label: 'PIN', minDigits: 4, maxDigits: 8, maxTries: ID_PIN_TRIES };
export const ID_PUK: PinSpec = {
  ref: ID_PUK_REF,
  label: 'PUK',
  minDigits: 8,
  maxDigits: 8,
  maxTries: ID_PUK_TRIES,
  unblocks: ID_PIN_REF,
  blocksApplication: true,
};

export const ID_CARD_INFO_EF: TransparentEfSpec = {
  type: 'transparent',
  fid: 0x0001,
  sfi: ID_SFI.cardInfo,
  maxSize: 64,
  access: { read: ALWAYS, update: NEVER },
};
export const ID_CARDHOLDER_EF: TransparentEfSpec = {
  type: 'transparent',
  fid: 0x0002,
  sfi: ID_SFI.cardholder,
  maxSize: 512,
  access: { read: pinVerified(ID_PIN_REF), update: NEVER },
};
export const ID_CERTIFICATE_EF: TransparentEfSpec = {
  type: 'transparent',
  fid: 0x0003,
  sfi: ID_SFI.certificate,
  maxSize: 2048,
  access: { read: ALWAYS, update: NEVER },
};

const FCI_PROPRIETARY = Buffer.from([0x50, 0x06, ...Buffer.from('CITYID', 'latin1')]);
const AUTH_CONFIG = { keyName: ID_CARD_KEY_NAME, pinRef: ID_PIN_REF } as const;

/** The ID application definition; install it in a `VirtualCard`. */
export const idApplication: Application = defineApplication({
  name: 'ID',
  aid: ID_AID,
  fid: ID_DF_FID,
  files: [ID_CARD_INFO_EF, ID_CARDHOLDER_EF, ID_CERTIFICATE_EF],
  pins: [ID_PIN, ID_PUK],
  fciProprietary: FCI_PROPRIETARY,
  commands: [
    {
      cla: 0x00,
      ins: 0x88,
      handle: (cmd, ctx, app) => internalAuthenticate(cmd, ctx, app, AUTH_CONFIG),
    },
  ],
});

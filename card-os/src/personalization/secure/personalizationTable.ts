/**
 * What PUT KEY and STORE DATA may write on a blank card, where it goes in the store, and what END
 * PERSONALIZATION requires (docs/personalization.md §3). The store keys are the applications'
 * own (the same the test-profile personalizations write), so a card personalized either way
 * behaves identically.
 *
 * | Profile | PUT KEY id (P1 = key version) | STORE DATA object | Required at END |
 * |---|---|---|---|
 * | citizen card | 01 DPK, 02 DLK, 03 DTK, 04 DAMK (EP) | 0101 card info, 0102 cardholder, 0103 certificate (ID); 0212 limits, 0215 issuer data (EP); FF01 PIN, FF81 PUK | all keys and objects, and the key pair |
 * | PSAM | 11 MPK (one per key version), 14 MAMK | 0316 terminal number | an MPK, the MAMK, the terminal number |
 */
import { ID_AID } from '@citycard/protocols';
import { ID_CARD_KEY_NAME, ID_CARD_INFO_EF, ID_CARDHOLDER_EF, ID_CERTIFICATE_EF, ID_PIN, ID_PUK } from '../../applications/id/idApplication.js';
import { EP_KEY_ID, EP_KEY_NAMES, epKeyStoreKey, stageEpKey, type EpKeyName } from '../../applications/ep/epKeys.js';
import { stageEpActivation } from '../../applications/ep/epPersonalization.js';
import { EP_AID_HEX, EP_ISSUER_KEY, EP_LIMITS_KEY } from '../../applications/ep/epStore.js';
import { EP_ISSUER_DATA_LENGTH } from '../../applications/ep/issuerData.js';
import { EP_LIMITS_LENGTH } from '../../applications/ep/purseLimits.js';
import {
  PSAM_AID_HEX,
  PSAM_KEY_LENGTH,
  PSAM_LIFECYCLE_KEY,
  PSAM_MAMK_KEY,
  PSAM_TERMINAL_NUMBER_KEY,
  PSAM_TTSN_KEY,
  TERMINAL_NUMBER_LENGTH,
  encodeTtsn,
  psamMpkKey,
} from '../../applications/psam/psamStore.js';
import { dfPrefix, efKey, pinTriesKey, pinValueKey, secretKeyKey } from '../../fs/storeKeys.js';
import type { TransparentEfSpec } from '../../fs/efSpec.js';
import type { StoreTransaction } from '../../runtime/transaction.js';
import type { PinSpec } from '../../security/pinSpec.js';
import type { PersistentStore } from '../../storage/index.js';
import { ID_LIFECYCLE_KEY, LIFECYCLE_OPERATIONAL } from '../idPersonalization.js';
import type { CardProfileKind } from './blankCard.js';
import { citizenCardInconsistency } from './consistency.js';

const ID_AID_HEX = ID_AID.toString('hex').toUpperCase();

/** A key PUT KEY installs (16 bytes, checked against its KCV before). */
export interface KeySlot {
  readonly id: number;
  readonly label: string;
  /** Stage key `key` of version `version` (1 to 255). */
  stage(tx: StoreTransaction, version: number, key: Buffer): void;
  /** Whether the store holds it (of any version). */
  isPresent(store: PersistentStore): boolean;
}

/** An object STORE DATA writes. */
export interface ObjectSlot {
  /** Object id: the two bytes at the head of the STORE DATA plaintext. */
  readonly id: number;
  readonly label: string;
  readonly storeKey: string;
  readonly maxSize: number;
  /** Fixed-length objects must be exactly this long at END. */
  readonly size?: number;
  /** PIN and PUK: written in one piece as a well-formed PIN block, with a full tries counter. */
  readonly pin?: { readonly spec: PinSpec; readonly triesKey: string };
}

export interface PersonalizationProfile {
  readonly kind: CardProfileKind;
  readonly keys: ReadonlyMap<number, KeySlot>;
  readonly objects: ReadonlyMap<number, ObjectSlot>;
  /** Where GENERATE KEY PAIR puts the private key (PKCS#8 DER); undefined: the profile has none. */
  readonly keyPairStoreKey: string | undefined;
  /** Store prefixes of the applications personalized: wiped when a new session authenticates. */
  readonly prefixes: readonly string[];
  /** Why the complete data cannot make a working card (e.g. a certificate of another key), or undefined. */
  inconsistency(store: PersistentStore): string | undefined;
  /** Values END PERSONALIZATION writes besides the card manager's own (applications' initial state). */
  activate(tx: StoreTransaction): void;
}

function epKey(name: EpKeyName): KeySlot {
  return {
    id: EP_KEY_ID[name],
    label: name,
    stage: (tx, version, key) => stageEpKey(tx, name, version, key),
    isPresent: (store) => store.get(epKeyStoreKey(name)) !== undefined,
  };
}

function idFile(sfi: number, spec: TransparentEfSpec, label: string): ObjectSlot {
  return { id: 0x0100 | sfi, label, storeKey: efKey(ID_AID_HEX, spec.fid), maxSize: spec.maxSize };
}

function pinObject(id: number, spec: PinSpec): ObjectSlot {
  const storeKey = pinValueKey(ID_AID_HEX, spec.ref);
  return { id, label: spec.label, storeKey, maxSize: 8, size: 8, pin: { spec, triesKey: pinTriesKey(ID_AID_HEX, spec.ref) } };
}

function fixedObject(id: number, label: string, storeKey: string, size: number): ObjectSlot {
  return { id, label, storeKey, maxSize: size, size };
}

function table<T extends { readonly id: number }>(entries: readonly T[]): ReadonlyMap<number, T> {
  return new Map(entries.map((entry) => [entry.id, entry]));
}

/** The citizen card: ID and EP applications. */
export const CITIZEN_CARD_PROFILE: PersonalizationProfile = {
  kind: 'card',
  keys: table(EP_KEY_NAMES.map(epKey)),
  objects: table([
    idFile(0x01, ID_CARD_INFO_EF, 'card info'),
    idFile(0x02, ID_CARDHOLDER_EF, 'cardholder'),
    idFile(0x03, ID_CERTIFICATE_EF, 'certificate'),
    fixedObject(0x0212, 'EP limits', EP_LIMITS_KEY, EP_LIMITS_LENGTH),
    fixedObject(0x0215, 'EP issuer data', EP_ISSUER_KEY, EP_ISSUER_DATA_LENGTH),
    pinObject(0xff01, ID_PIN),
    pinObject(0xff81, ID_PUK),
  ]),
  keyPairStoreKey: secretKeyKey(ID_AID_HEX, ID_CARD_KEY_NAME),
  prefixes: [dfPrefix(ID_AID_HEX), dfPrefix(EP_AID_HEX)],
  inconsistency: citizenCardInconsistency,
  activate(tx) {
    tx.set(ID_LIFECYCLE_KEY, Buffer.from([LIFECYCLE_OPERATIONAL]));
    // A blank card is issued with an empty purse; the first load credits it.
    stageEpActivation(tx, 0);
  },
};

const PSAM_MPK_ID = 0x11;
// psamMpkKey(v) is this prefix and the version in 2 hex digits.
const PSAM_MPK_PREFIX = secretKeyKey(PSAM_AID_HEX, 'MPK/');
const PSAM_MAMK_ID = 0x14;

/** The PSAM: the PSAM application alone. */
export const PSAM_PROFILE: PersonalizationProfile = {
  kind: 'psam',
  keys: table<KeySlot>([
    {
      id: PSAM_MPK_ID,
      label: 'MPK',
      stage: (tx, version, key) => tx.set(psamMpkKey(version), key),
      isPresent: (store) => store.keys().some((k) => k.startsWith(PSAM_MPK_PREFIX)),
    },
    {
      id: PSAM_MAMK_ID,
      label: 'MAMK',
      stage: (tx, _version, key) => tx.set(PSAM_MAMK_KEY, key),
      isPresent: (store) => store.get(PSAM_MAMK_KEY)?.length === PSAM_KEY_LENGTH,
    },
  ]),
  objects: table([fixedObject(0x0316, 'terminal number', PSAM_TERMINAL_NUMBER_KEY, TERMINAL_NUMBER_LENGTH)]),
  keyPairStoreKey: undefined,
  prefixes: [dfPrefix(PSAM_AID_HEX)],
  inconsistency: () => undefined,
  activate(tx) {
    tx.set(PSAM_TTSN_KEY, encodeTtsn(0));
    tx.set(PSAM_LIFECYCLE_KEY, Buffer.from([LIFECYCLE_OPERATIONAL]));
  },
};

/** The profile of each kind of blank card. */
export const PERSONALIZATION_PROFILES: Readonly<Record<CardProfileKind, PersonalizationProfile>> = {
  card: CITIZEN_CARD_PROFILE,
  psam: PSAM_PROFILE,
};

/**
 * What END PERSONALIZATION still misses on `store`, as labels (empty when complete): every key
 * and object of the profile (fixed-length objects at their length) and the key pair.
 */
export function missingForEnd(profile: PersonalizationProfile, store: PersistentStore): string[] {
  const missing: string[] = [];
  for (const slot of profile.keys.values()) if (!slot.isPresent(store)) missing.push(slot.label);
  for (const slot of profile.objects.values()) {
    const length = store.get(slot.storeKey)?.length ?? 0;
    if (length === 0 || (slot.size !== undefined && length !== slot.size)) missing.push(slot.label);
  }
  if (profile.keyPairStoreKey !== undefined && store.get(profile.keyPairStoreKey) === undefined) missing.push('key pair');
  return missing;
}

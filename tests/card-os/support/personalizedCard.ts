/**
 * One personalized card image per test file: RSA key generation (CA and card) is slow, so a file
 * personalizes once and copies the resulting store into fresh stores for each test.
 */
import {
  FileStore,
  MemoryStore,
  VirtualCard,
  idApplication,
  personalizeTestProfile,
  type Application,
  type IdPersonalizationResult,
  type PersistentStore,
  type RandomSource,
} from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import { cardCertificateIssuer, createCityCa, type CityCa } from '@citycard/hsm-sim/ca';
import { seededRandom } from './seededRandom.js';

/** The fixed clock of the card tests: personalization "today" is 20250601 (UTC). */
export const FIXED_NOW = new Date('2025-06-01T08:00:00Z');
export const CA_NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
export const CA_NOT_AFTER = new Date('2045-01-01T00:00:00Z');

export interface PersonalizedImage {
  readonly ca: CityCa;
  readonly result: IdPersonalizationResult;
  /** Every persistent value of the freshly personalized card. */
  readonly entries: ReadonlyMap<string, Buffer>;
}

/** Create a test CA and personalize a card under the test profile at FIXED_NOW. */
export function personalizeImage(): PersonalizedImage {
  const ca = createCityCa({ notBefore: CA_NOT_BEFORE, notAfter: CA_NOT_AFTER, serial: '01' });
  const store = new MemoryStore();
  const result = personalizeTestProfile(store, {
    issueCertificate: cardCertificateIssuer(ca),
    now: FIXED_NOW,
    timeZone: 'UTC',
  });
  const entries = new Map<string, Buffer>();
  for (const key of store.keys()) entries.set(key, Buffer.from(store.get(key)!));
  return { ca, result, entries };
}

/** Write the image into `store` (one commit). */
export function copyImage(image: PersonalizedImage, store: PersistentStore): PersistentStore {
  store.commit(image.entries);
  return store;
}

/** A fresh MemoryStore holding the image. */
export function memoryStoreOf(image: PersonalizedImage): MemoryStore {
  const store = new MemoryStore();
  copyImage(image, store);
  return store;
}

/** A fresh FileStore in `dir` holding the image. */
export function fileStoreOf(image: PersonalizedImage, dir: string, sync = true): FileStore {
  const store = FileStore.open(dir, { sync });
  copyImage(image, store);
  return store;
}

export interface CardOptions {
  readonly random?: RandomSource;
  /** Applications besides the ID application. */
  readonly extra?: readonly Application<any>[];
  /** Collects errors the card turned into 6F00 (card OS bugs); tests expect it to stay empty. */
  readonly bugs?: unknown[];
}

/** A powered card with the ID application (and `extra`) over `store`, seeded randomness. */
export function cardOn(store: PersistentStore, options: CardOptions = {}): VirtualCard {
  const bugs = options.bugs;
  const card = new VirtualCard({
    store,
    applications: [idApplication, ...(options.extra ?? [])],
    random: options.random ?? seededRandom(1),
    onInternalError: (err) => bugs?.push(err),
  });
  card.powerOn();
  return card;
}

/** Send hex, get the response as upper-case hex. */
export function send(card: VirtualCard, commandHex: string): string {
  return toHex(card.transmit(fromHex(commandHex)));
}

/**
 * `citycard card serve`: open (and on first start personalize) a virtual citizen card kept in a
 * state directory, and plug it into pcscd through the vpcd driver until SIGTERM or SIGINT.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { cardCertificateIssuer, loadOrCreateTestCa, TEST_CA_CERTIFICATE_FILE } from '@citycard/hsm-sim/ca';
import { decodeCardInfo, toHex } from '@citycard/protocols';
import { FileStore } from '../storage/index.js';
import { VirtualCard } from '../virtualCard.js';
import { idApplication, ID_CARD_INFO_EF } from '../applications/id/idApplication.js';
import { isPersonalized, personalizeTestProfile } from '../personalization/testProfile.js';
import { epApplication, isEpPersonalized } from '../applications/ep/index.js';
import { personalizeEpTestProfile } from '../personalization/epTestProfile.js';
import { efKey } from '../fs/storeKeys.js';
import { VpcdAdapter } from '../vpcd/vpcdAdapter.js';
import type { SmartCard } from '../smartCard.js';
import { ManagedCard } from '../personalization/secure/managedCard.js';
import {
  TEST_MTRK,
  cardLifecycle,
  chipSerialNumber,
  manufactureBlankCard,
  transportKeyFor,
} from '../personalization/secure/blankCard.js';
import { randomBytes } from 'node:crypto';

export interface ServeCardOptions {
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  readonly profile: 'test';
  readonly cardNumber: string;
  /** Purse balance at issue in fen (test profile, first start only). */
  readonly balance: number;
  /** Directory of the test city CA; default `<stateDir>/ca`. */
  readonly caDir?: string | undefined;
  /**
   * Serve a blank card (first start: manufactured with a chip serial number and the test transport
   * key) to be personalized through the HSM by a station, instead of the test profile.
   */
  readonly blank?: boolean | undefined;
  /** Chip serial number of a new blank card, 16 hex digits; default random. */
  readonly csn?: string | undefined;
  /** fsync every commit (default true). */
  readonly sync: boolean;
  readonly logger: Logger;
}

export interface ServedCard {
  readonly card: SmartCard;
  readonly adapter: VpcdAdapter;
  /** Undefined for a card still blank. */
  readonly cardNumber: string | undefined;
  /** Chip serial number of a card manufactured blank (hex). */
  readonly csn: string | undefined;
  /** The test CA's certificate; undefined for cards personalized through the HSM (its CA). */
  readonly caCertificatePath: string | undefined;
  readonly personalizedNow: boolean;
  /** Disconnect from vpcd (a card removal) and close the state file. */
  stop(): Promise<void>;
}

/**
 * Open the card and start serving it. Throws `CorruptStateError` for a damaged state file (nothing
 * is loaded or changed), `CardNumberMismatchError` when the state directory holds another card.
 */
export async function serveCard(options: ServeCardOptions): Promise<ServedCard> {
  mkdirSync(options.stateDir, { recursive: true });
  const caDir = options.caDir ?? path.join(options.stateDir, 'ca');
  const store = FileStore.open(options.stateDir, { sync: options.sync });
  try {
    const onInternalError = (err: unknown): void => options.logger.error({ err }, 'card OS internal error (answered 6F00)');
    let card: SmartCard;
    let cardNumber: string | undefined;
    let caCertificatePath: string | undefined;
    let personalizedNow = false;
    if (options.blank === true && store.keys().length === 0) {
      const csn = options.csn !== undefined ? Buffer.from(options.csn, 'hex') : randomBytes(8);
      manufactureBlankCard(store, { profile: 'card', csn, transportKey: transportKeyFor(TEST_MTRK, csn) });
      options.logger.info({ csn: toHex(csn) }, 'manufactured a blank card (test transport key)');
    }
    const lifecycle = cardLifecycle(store);
    if (lifecycle !== undefined) {
      // A card made blank: personalized only through the HSM, never by the test profile.
      card = new ManagedCard({ store, applications: [idApplication, epApplication], onInternalError });
      cardNumber = lifecycle === 'personalized' ? storedCardNumber(store) : undefined;
    } else {
      if (options.blank === true) throw new NotBlankError(options.stateDir);
      const ca = loadOrCreateTestCa(caDir);
      caCertificatePath = path.resolve(caDir, TEST_CA_CERTIFICATE_FILE);
      if (!isPersonalized(store)) {
        options.logger.info({ cardNumber: options.cardNumber }, 'personalizing a new card under the test profile');
        personalizeTestProfile(store, { issueCertificate: cardCertificateIssuer(ca), cardNumber: options.cardNumber });
        personalizedNow = true;
      }
      if (!isEpPersonalized(store)) {
        // The same citizen card carries the purse; a state made before the purse existed gets it now.
        options.logger.info({ balance: options.balance }, 'personalizing the purse under the test profile');
        personalizeEpTestProfile(store, { cardNumber: options.cardNumber, balance: options.balance });
        personalizedNow = true;
      }
      cardNumber = storedCardNumber(store);
      card = new VirtualCard({ store, applications: [idApplication, epApplication], onInternalError });
    }
    if (cardNumber !== undefined && options.blank !== true && cardNumber !== options.cardNumber) {
      throw new CardNumberMismatchError(options.stateDir, cardNumber, options.cardNumber);
    }
    const csnBytes = chipSerialNumber(store);
    const adapter = new VpcdAdapter(card, { host: options.host, port: options.port, logger: options.logger });
    adapter.on('connected', () => options.logger.info({ host: options.host, port: options.port }, 'inserted into vpcd'));
    adapter.on('disconnected', (cause) =>
      options.logger.info({ reason: cause?.message }, 'vpcd connection lost; reconnecting'),
    );
    adapter.start();
    return {
      card,
      adapter,
      cardNumber,
      csn: csnBytes === undefined ? undefined : toHex(csnBytes),
      caCertificatePath,
      personalizedNow,
      async stop() {
        await adapter.stop();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** `--blank` was asked for a state directory that holds a test-profile card. */
export class NotBlankError extends Error {
  override readonly name = 'NotBlankError';
  constructor(stateDir: string) {
    super(`${stateDir} holds a card personalized under the test profile, not a blank card; use another --state-dir`);
  }
}

/** The state directory holds a card with another number than the one asked for. */
export class CardNumberMismatchError extends Error {
  override readonly name = 'CardNumberMismatchError';
  constructor(stateDir: string, stored: string, requested: string) {
    super(`${stateDir} holds card ${stored}, not ${requested}; use another --state-dir`);
  }
}

function storedCardNumber(store: FileStore): string {
  const info = store.get(efKey(toHex(idApplication.aid), ID_CARD_INFO_EF.fid));
  if (info === undefined) throw new Error('personalized card without card info');
  return decodeCardInfo(info).cardNumber;
}

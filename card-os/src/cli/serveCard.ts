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
import { efKey } from '../fs/storeKeys.js';
import { VpcdAdapter } from '../vpcd/vpcdAdapter.js';

export interface ServeCardOptions {
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  readonly profile: 'test';
  readonly cardNumber: string;
  /** Directory of the test city CA; default `<stateDir>/ca`. */
  readonly caDir?: string | undefined;
  /** fsync every commit (default true). */
  readonly sync: boolean;
  readonly logger: Logger;
}

export interface ServedCard {
  readonly card: VirtualCard;
  readonly adapter: VpcdAdapter;
  readonly cardNumber: string;
  readonly caCertificatePath: string;
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
    const ca = loadOrCreateTestCa(caDir);
    let personalizedNow = false;
    if (!isPersonalized(store)) {
      options.logger.info({ cardNumber: options.cardNumber }, 'personalizing a new card under the test profile');
      personalizeTestProfile(store, { issueCertificate: cardCertificateIssuer(ca), cardNumber: options.cardNumber });
      personalizedNow = true;
    }
    const cardNumber = storedCardNumber(store);
    if (cardNumber !== options.cardNumber) {
      throw new CardNumberMismatchError(options.stateDir, cardNumber, options.cardNumber);
    }
    const card = new VirtualCard({
      store,
      applications: [idApplication],
      onInternalError: (err) => options.logger.error({ err }, 'card OS internal error (answered 6F00)'),
    });
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
      caCertificatePath: path.resolve(caDir, TEST_CA_CERTIFICATE_FILE),
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

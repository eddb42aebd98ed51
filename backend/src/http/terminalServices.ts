/**
 * Composition of what terminals talk to: the Redis side of hotlist pushes (publisher and SSE
 * streams, when a Redis URL is configured), the terminal registry, and identity verification
 * (when the city CA certificate is in the data directory). The Hotlist itself is built with
 * the card services; its publisher comes from {@link createHotlistRealtime}.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BackendConfig } from '../config.js';
import { CardRepository } from '../data/cardRepository.js';
import type { Db } from '../data/db.js';
import { loadOrCreateSigningKey } from '../data/hotlistSigningKey.js';
import { type OpenedNonceStore, openNonceStore } from '../data/nonceStores.js';
import type { AuditSink } from '../domain/audit/auditSink.js';
import type { CardholderRegistry } from '../domain/cardholders/cardholderRegistry.js';
import { CardholderNotFoundError } from '../domain/cardholders/errors.js';
import type { HotlistPublisher } from '../domain/hotlist/hotlistPublisher.js';
import { IDENTITY_ASSERTION_KEY_FILE, IdentityVerification } from '../domain/identity/identityVerification.js';
import type { CardholderLookup, CardStatusLookup } from '../domain/identity/lookups.js';
import { TerminalRegistry } from '../domain/terminals/terminalRegistry.js';
import { HotlistFanout } from '../realtime/hotlistFanout.js';
import { RedisHotlistPublisher } from '../realtime/redisHotlistPublisher.js';
import { HotlistStreams } from './hotlistStreams.js';

/** The city CA certificate (PEM) identity verification checks card certificates against, in the data directory. */
export const CITY_CA_CERTIFICATE_FILE = 'city-ca.crt.pem';

export interface HotlistRealtime {
  /** Undefined when Redis is off (config redisUrl ''). */
  readonly publisher: HotlistPublisher | undefined;
  readonly streams: HotlistStreams;
}

/**
 * Redis publisher and SSE streams over one subscriber connection. Both connections are lazy:
 * a backend that never lists a card or streams never connects.
 */
export function createHotlistRealtime(config: BackendConfig, logger: Logger): HotlistRealtime {
  if (config.redisUrl === '') return { publisher: undefined, streams: new HotlistStreams({}) };
  const options = { lazyConnect: true, maxRetriesPerRequest: 1 } as const;
  const publisherConnection = new Redis(config.redisUrl, options);
  const subscriberConnection = new Redis(config.redisUrl, options);
  for (const c of [publisherConnection, subscriberConnection]) {
    c.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  }
  return {
    publisher: new RedisHotlistPublisher(publisherConnection, config.redisHotlistChannel),
    streams: new HotlistStreams({
      fanout: new HotlistFanout(subscriberConnection, config.redisHotlistChannel),
      onClose: async () => {
        subscriberConnection.disconnect();
        publisherConnection.disconnect();
      },
    }),
  };
}

export interface TerminalServices {
  terminals: TerminalRegistry;
  hotlistStreams: HotlistStreams;
  /** Undefined when the data directory holds no city CA certificate. */
  identity: IdentityVerification | undefined;
  identityPublicKey: KeyObject;
  /** The terminal on whose behalf the current identity check runs (for the cardholder access log). */
  identityCaller: AsyncLocalStorage<string>;
  /** Ends SSE streams, stops the nonce purge and closes the Redis connections; call before closing the server. */
  close(): Promise<void>;
}

export interface TerminalServicesDeps {
  config: BackendConfig;
  db: Db;
  logger: Logger;
  audit: AuditSink;
  now: () => Date;
  cardholders: CardholderRegistry;
  realtime: HotlistRealtime;
  /** The city CA certificate (PEM or DER); default DATA_DIR/city-ca.crt.pem if present. */
  caCertificate?: string | Uint8Array;
  /** Signs identity assertions; default DATA_DIR/identity-assertion-key.pem, or a throw-away key for an in-memory database. */
  identityKey?: { privateKey: KeyObject; publicKey: KeyObject };
}

export function createTerminalServices(deps: TerminalServicesDeps): TerminalServices {
  const { config, db, logger, audit, now, cardholders: registry, realtime } = deps;
  const identityKey = deps.identityKey ?? (db.memory ? generateKeyPairSync('ed25519') : loadOrCreateSigningKey(config.dataDir, IDENTITY_ASSERTION_KEY_FILE));
  const identityCaller = new AsyncLocalStorage<string>();
  const ca = deps.caCertificate ?? (db.memory ? undefined : readOptional(join(config.dataDir, CITY_CA_CERTIFICATE_FILE)));
  let identity: IdentityVerification | undefined;
  let nonces: OpenedNonceStore | undefined;
  if (ca !== undefined) {
    const cards = new CardRepository(db);
    const cardStatus: CardStatusLookup = (cardNumber) => cards.findByCardNumber(cardNumber)?.state;
    const cardholders: CardholderLookup = (cardNumber) => {
      const card = cards.findByCardNumber(cardNumber);
      if (card === undefined) return undefined;
      const accessor = `terminal:${identityCaller.getStore() ?? 'unknown'}`;
      try {
        const holder = registry.get(card.cardholderId, { accessor, purpose: 'service' });
        return { id: holder.id, name: holder.fullName };
      } catch (err) {
        if (err instanceof CardholderNotFoundError) return undefined;
        throw err;
      }
    };
    nonces = openNonceStore({ config, db, logger, now });
    identity = new IdentityVerification({ nonces: nonces.store, caCertificate: ca, cardStatus, cardholders, signingKey: identityKey.privateKey, now });
  } else {
    logger.info(`no ${CITY_CA_CERTIFICATE_FILE} in the data directory: identity verification is off`);
  }
  return {
    terminals: new TerminalRegistry(db, audit, { clock: now }),
    hotlistStreams: realtime.streams,
    identity,
    identityPublicKey: identityKey.publicKey,
    identityCaller,
    close: async () => {
      await nonces?.close();
      await realtime.streams.close();
    },
  };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Which `NonceStore` the backend uses, chosen the way hotlist pushes are: a configured Redis URL
 * means Redis (a verification then makes no SQLite write for its nonce); `redisUrl: ''` means
 * the embedded SQLite table, with a periodic purge of expired rows. There is no switching at
 * run time: while a configured Redis cannot be reached, nonces are neither issued nor redeemed
 * (the routes answer 503), since a nonce issued in one store could not be redeemed in the other.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BackendConfig } from '../config.js';
import { scheduleNoncePurge } from '../domain/identity/noncePurge.js';
import type { NonceStore } from '../domain/identity/nonceStore.js';
import type { Db } from './db.js';
import { RedisNonceStore } from './nonceRedisStore.js';
import { NonceRepository } from './nonceRepository.js';

export interface OpenedNonceStore {
  readonly store: NonceStore;
  readonly kind: 'redis' | 'sqlite';
  /** Stops the purge timer or closes the Redis connection; idempotent. Call before closing the database. */
  close(): Promise<void>;
}

export interface NonceStoreDeps {
  readonly config: Pick<BackendConfig, 'redisUrl' | 'redisNonceKeyPrefix' | 'noncePurgeIntervalSeconds'>;
  readonly db: Db;
  readonly logger: Logger;
  readonly now: () => Date;
}

/** The Redis connection is lazy: nothing connects until the first nonce is issued. */
export function openNonceStore(deps: NonceStoreDeps): OpenedNonceStore {
  const { config, db, logger, now } = deps;
  if (config.redisUrl !== '') {
    const connection = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    connection.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error (identity nonces)'));
    return {
      store: new RedisNonceStore(connection, { keyPrefix: config.redisNonceKeyPrefix }),
      kind: 'redis',
      close: async () => {
        connection.disconnect();
      },
    };
  }
  const repository = new NonceRepository(db);
  const purge = scheduleNoncePurge(() => repository.purgeExpired(now()), config.noncePurgeIntervalSeconds * 1000, {
    onPurged: (count) => logger.debug({ count }, 'expired identity nonces purged'),
    onError: (err) => logger.warn({ err }, 'purging expired identity nonces failed; next round retries'),
  });
  return {
    store: repository,
    kind: 'sqlite',
    close: async () => purge.stop(),
  };
}

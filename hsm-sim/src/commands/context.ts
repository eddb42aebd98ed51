/** What command functions run over: the stores, the session table, a clock and a random source. */
import { type ClientRegistry } from '../auth/clientRegistry.js';
import { type CertificateStore } from '../keystore/certificateStore.js';
import { type KeyStore } from '../keystore/keyStore.js';
import { type PinMailer } from '../personalization/pinMailer.js';
import { type PersonalizationSessions } from '../personalization/sessionStore.js';

/** `test`: fixed LMK components, public test keys, fixed PIN and PUK. */
export type HsmProfile = 'test' | 'production';

export interface CommandContext {
  readonly keys: KeyStore;
  readonly certificates: CertificateStore;
  readonly clients: ClientRegistry;
  readonly sessions: PersonalizationSessions;
  readonly profile: HsmProfile;
  readonly clock: () => Date;
  /** Cryptographically strong random bytes. */
  readonly random: (length: number) => Buffer;
  /** Where HSM-chosen PINs go (production profile); absent: PIN personalization is refused. */
  readonly pinMailer?: PinMailer | undefined;
}

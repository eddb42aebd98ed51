/**
 * Clearing's TAC verifier over the HSM socket, with the `clearing` role: one HsmClient,
 * connected on first use and replaced after the connection breaks (an HsmClient stays failed
 * once its socket closes), so an HSM restart costs a job retry, not a worker restart. Purchase
 * TACs go in one batch call; load TACs (few) as pipelined single calls.
 */
import { HsmClient, HsmTransportError, type LoadTacCheck, type PurchaseTacCheck } from '@citycard/hsm-sim';

/** The HSM client role clearing needs. */
export const CLEARING_HSM_ROLE = 'clearing';

/** The credential names a client of another role: clearing would be refused on every call. */
export class HsmRoleError extends Error {
  override readonly name = 'HsmRoleError';
  readonly code = 'HSM_ROLE';
}

export interface HsmTacVerifierOptions {
  /** The HSM's unix socket. */
  readonly socketPath: string;
  /** `NAME.SECRET` of a `clearing` client (from CITYCARD_HSM_TOKEN; never logged). */
  readonly token: string;
  /** Time for one call, ms; default 30,000. */
  readonly callTimeoutMs?: number;
}

export class HsmTacVerifier {
  readonly #options: HsmTacVerifierOptions;
  #client: Promise<HsmClient> | undefined;
  #closed = false;

  constructor(options: HsmTacVerifierOptions) {
    this.#options = options;
  }

  /**
   * Connects now to fail early on a wrong credential.
   * @throws HsmAuthError, HsmTransportError (from HsmClient.connect); HsmRoleError for a client of another role.
   */
  async connect(): Promise<void> {
    await this.#current();
  }

  /** One verdict per check, in order. @throws as connect; HsmError from the HSM. */
  async verifyPurchaseTacs(checks: readonly PurchaseTacCheck[]): Promise<boolean[]> {
    if (checks.length === 0) return [];
    return this.#call((c) => c.verifyPurchaseTacs(checks));
  }

  /** One verdict per check, in order. @throws as verifyPurchaseTacs. */
  async verifyLoadTacs(checks: readonly LoadTacCheck[]): Promise<boolean[]> {
    if (checks.length === 0) return [];
    return this.#call((c) => Promise.all(checks.map((check) => c.verifyLoadTac(check))));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    await client?.close();
  }

  async #call<T>(work: (client: HsmClient) => Promise<T>): Promise<T> {
    const pending = this.#current();
    try {
      return await work(await pending);
    } catch (err) {
      // A broken connection fails every later call too: forget it, the next call reconnects.
      if (err instanceof HsmTransportError && this.#client === pending) {
        this.#client = undefined;
        void pending.then((c) => c.close()).catch(() => undefined);
      }
      throw err;
    }
  }

  #current(): Promise<HsmClient> {
    if (this.#closed) return Promise.reject(new HsmTransportError('the clearing HSM verifier is closed'));
    if (this.#client === undefined) {
      const connecting = (async () => {
        const client = await HsmClient.connect({
          address: { path: this.#options.socketPath },
          token: this.#options.token,
          ...(this.#options.callTimeoutMs === undefined ? {} : { callTimeoutMs: this.#options.callTimeoutMs }),
        });
        if (client.identity.role !== CLEARING_HSM_ROLE) {
          await client.close();
          throw new HsmRoleError(`the HSM client ${client.identity.name} has role ${client.identity.role}; clearing needs a ${CLEARING_HSM_ROLE} client`);
        }
        return client;
      })();
      this.#client = connecting;
      connecting.catch(() => {
        if (this.#client === connecting) this.#client = undefined;
      });
    }
    return this.#client;
  }
}

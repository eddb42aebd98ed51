/**
 * `citycard psam serve`: open (and on first start personalize) a virtual PSAM kept in a state
 * directory, and plug it into pcscd through vpcd slot 1 until SIGTERM or SIGINT.
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { toHex } from '@citycard/protocols';
import { FileStore } from '../storage/index.js';
import { VirtualCard } from '../virtualCard.js';
import { psamApplication } from '../applications/psam/psamApplication.js';
import { isPsamPersonalized, storedTerminalNumber, storedTtsn } from '../applications/psam/psamStore.js';
import { personalizePsamTestProfile } from '../personalization/psamTestProfile.js';
import { ManagedCard } from '../personalization/secure/managedCard.js';
import { TEST_MTRK, cardLifecycle, manufactureBlankCard, transportKeyFor } from '../personalization/secure/blankCard.js';
import type { SmartCard } from '../smartCard.js';
import { randomBytes } from 'node:crypto';
import { VpcdAdapter } from '../vpcd/vpcdAdapter.js';

/** vpcd slot 1, reader "Virtual PCD 00 01": the PSAM's slot. */
export const VPCD_PSAM_PORT = 35964;

export interface ServePsamOptions {
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  readonly profile: 'test';
  /** 12 decimal digits. */
  readonly terminalNumber: string;
  /** fsync every commit (default true): a TTSN must survive a power cut. */
  readonly sync: boolean;
  /** Serve a blank PSAM (first start: manufactured with the test transport key) for a station. */
  readonly blank?: boolean | undefined;
  /** Chip serial number of a new blank PSAM, 16 hex digits; default random. */
  readonly csn?: string | undefined;
  readonly logger: Logger;
}

export interface ServedPsam {
  readonly card: SmartCard;
  readonly adapter: VpcdAdapter;
  /** 12 digits, as stored in EF 0x16. */
  readonly terminalNumber: string | undefined;
  readonly personalizedNow: boolean;
  /** Disconnect from vpcd (a card removal) and close the state file. */
  stop(): Promise<void>;
}

/**
 * Open the PSAM and start serving it. Throws `CorruptStateError` for a damaged state file (nothing
 * is loaded or changed); `PsamStateError` when the state directory holds another PSAM,
 * something that is not a PSAM, or a PSAM without a terminal number or with a damaged TTSN; `PersonalizationError` for a bad terminal number on first start.
 */
export async function servePsam(options: ServePsamOptions): Promise<ServedPsam> {
  mkdirSync(options.stateDir, { recursive: true });
  const store = FileStore.open(options.stateDir, { sync: options.sync });
  try {
    const onInternalError = (err: unknown): void => options.logger.error({ err }, 'card OS internal error (answered 6F00)');
    if (options.blank === true && store.keys().length === 0) {
      const csn = options.csn !== undefined ? Buffer.from(options.csn, 'hex') : randomBytes(8);
      manufactureBlankCard(store, { profile: 'psam', csn, transportKey: transportKeyFor(TEST_MTRK, csn) });
      options.logger.info({ csn: toHex(csn) }, 'manufactured a blank PSAM (test transport key)');
    }
    const lifecycle = cardLifecycle(store);
    if (lifecycle === 'blank') {
      // Personalized only through the HSM by a station; it has no terminal number yet.
      const card = new ManagedCard({ store, applications: [psamApplication], onInternalError });
      return startServing(card, store, options, undefined, false);
    }
    if (options.blank === true && lifecycle === undefined) {
      throw new PsamStateError(`${options.stateDir} holds a PSAM personalized under the test profile, not a blank one`);
    }
    let personalizedNow = false;
    if (!isPsamPersonalized(store)) {
      if (store.keys().length > 0) {
        throw new PsamStateError(`${options.stateDir} holds a card that is not a PSAM; use another --state-dir`);
      }
      options.logger.info({ terminalNumber: options.terminalNumber }, 'personalizing a new PSAM under the test profile');
      personalizePsamTestProfile(store, { terminalNumber: options.terminalNumber });
      personalizedNow = true;
    }
    const stored = storedTerminalNumber(store);
    if (stored === undefined) throw new PsamStateError(`${options.stateDir} holds a PSAM without a terminal number`);
    try {
      storedTtsn(store);
    } catch (err) {
      throw new PsamStateError(`${options.stateDir} holds a damaged TTSN`, { cause: err });
    }
    const terminalNumber = toHex(stored);
    if (terminalNumber !== options.terminalNumber) {
      throw new PsamStateError(
        `${options.stateDir} holds the PSAM of terminal ${terminalNumber}, not ${options.terminalNumber}; use another --state-dir`,
      );
    }
    const card: SmartCard =
      lifecycle === undefined
        ? new VirtualCard({ store, applications: [psamApplication], onInternalError })
        : new ManagedCard({ store, applications: [psamApplication], onInternalError });
    return startServing(card, store, options, terminalNumber, personalizedNow);
  } catch (err) {
    store.close();
    throw err;
  }
}

function startServing(
  card: SmartCard,
  store: FileStore,
  options: ServePsamOptions,
  terminalNumber: string | undefined,
  personalizedNow: boolean,
): ServedPsam {
  {
    const adapter = new VpcdAdapter(card, { host: options.host, port: options.port, logger: options.logger });
    adapter.on('connected', () => options.logger.info({ host: options.host, port: options.port }, 'inserted into vpcd'));
    adapter.on('disconnected', (cause) => options.logger.info({ reason: cause?.message }, 'vpcd connection lost; reconnecting'));
    adapter.start();
    return {
      card,
      adapter,
      terminalNumber,
      personalizedNow,
      async stop() {
        await adapter.stop();
        store.close();
      },
    };
  }
}

/** The state directory holds another PSAM, a card that is not a PSAM, or a damaged PSAM. */
export class PsamStateError extends Error {
  override readonly name = 'PsamStateError';
}

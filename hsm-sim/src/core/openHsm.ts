/**
 * Starting an HSM over its data directory: `initHsm` once (records the LMK check value, creates
 * the city CA, and in the test profile imports the public test keys), then `openHsm` on every
 * start, which refuses to run unless the custodians' components form that same LMK.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../audit/auditLog.js';
import { ClientRegistry } from '../auth/clientRegistry.js';
import { type ClientIdentity } from '../auth/roles.js';
import { type CreateCityCaOptions } from '../ca/index.js';
import { createCaInHsm } from '../commands/certificates.js';
import { type CommandContext, type HsmProfile } from '../commands/context.js';
import { HsmStoreError } from '../errors.js';
import { CITY_CA } from '../keystore/keyLabels.js';
import { keyRef } from '../keystore/keyRecord.js';
import { CertificateStore } from '../keystore/certificateStore.js';
import { HSM_DB_FILE, type HsmDatabase, openHsmDatabase, readMeta, writeMeta } from '../keystore/database.js';
import { KeyStore } from '../keystore/keyStore.js';
import { LmkCipher } from '../keystore/lmkCipher.js';
import { type Lmk, combineLmk } from '../lmk/combine.js';
import { type LmkComponent } from '../lmk/component.js';
import { type PinMailer } from '../personalization/pinMailer.js';
import { PersonalizationSessions, type SessionLimits } from '../personalization/sessionStore.js';
import { HsmCore } from './hsmCore.js';
import { testProfileKeys } from './testProfile.js';

export interface HsmOptions {
  readonly dataDir: string;
  /** The custodians' LMK components, each with its check value (two or more). */
  readonly components: readonly LmkComponent[];
  readonly clock?: () => Date;
  readonly random?: (length: number) => Buffer;
  /** Production profile: where HSM-chosen PINs are delivered. */
  readonly pinMailer?: PinMailer;
  readonly sessions?: SessionLimits;
}

export interface InitHsmOptions extends HsmOptions {
  readonly profile: HsmProfile;
  /** Names and validity of the city CA created inside the HSM. */
  readonly ca?: CreateCityCaOptions;
}

/** The identity the local operator acts under for `init` and CLI administration (audited as such). */
export const OPERATOR: ClientIdentity = { name: 'operator', role: 'admin' };

const META_LMK_KCV = 'lmk_kcv';
const META_PROFILE = 'profile';

function prepareDir(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  return join(dataDir, HSM_DB_FILE);
}

function assemble(db: HsmDatabase, lmk: Lmk, profile: HsmProfile, options: HsmOptions): HsmCore {
  const cipher = new LmkCipher(lmk);
  lmk.key.fill(0);
  const clock = options.clock ?? (() => new Date());
  const context: CommandContext = {
    keys: new KeyStore(db, cipher),
    certificates: new CertificateStore(db),
    clients: new ClientRegistry(db, cipher),
    sessions: new PersonalizationSessions(options.sessions),
    profile,
    clock,
    random: options.random ?? randomBytes,
    pinMailer: options.pinMailer,
  };
  return new HsmCore({ db, cipher, context, audit: new AuditLog(db, cipher, clock) });
}

/**
 * Opens an initialised HSM. Throws `LmkError` (the HSM must not start) when fewer than two
 * components are given, one does not match its check value, or together they do not form the
 * LMK recorded at initialisation; `HsmStoreError` when the directory holds no initialised store.
 */
export function openHsm(options: HsmOptions): HsmCore {
  // Check the components before touching the disk: a wrong component must not create files.
  const candidate = combineLmk(options.components);
  candidate.key.fill(0);
  const db = openHsmDatabase(prepareDir(options.dataDir));
  const recorded = readMeta(db, META_LMK_KCV);
  const profile = readMeta(db, META_PROFILE);
  if (recorded === undefined || (profile !== 'test' && profile !== 'production')) {
    db.close();
    throw new HsmStoreError(`no initialised HSM in ${options.dataDir} (run \`hsm init\` first)`);
  }
  let lmk: Lmk;
  try {
    lmk = combineLmk(options.components, recorded);
  } catch (err) {
    db.close();
    throw err;
  }
  const core = assemble(db, lmk, profile, options);
  core.note(OPERATOR.name, 'open', { detail: `profile ${profile}, LMK kcv ${core.lmkKcv}` });
  return core;
}

/**
 * Initialises a new HSM: records the LMK check value and profile, creates the city CA inside the
 * HSM and, in the test profile, imports the test keys (MPK, MLK, MTK, MAMK and MTRK, version 01).
 * All or nothing. Throws `LmkError` on bad components and `HsmStoreError` when the directory is
 * already initialised.
 */
export function initHsm(options: InitHsmOptions): HsmCore {
  const lmk = combineLmk(options.components);
  const db = openHsmDatabase(prepareDir(options.dataDir));
  if (readMeta(db, META_LMK_KCV) !== undefined) {
    db.close();
    lmk.key.fill(0);
    throw new HsmStoreError(`${options.dataDir} already holds an initialised HSM`);
  }
  const core = assemble(db, lmk, options.profile, options);
  // All or nothing: a failed init leaves a directory that `init` can simply run on again.
  const initialise = db.transaction(() => {
    writeMeta(db, META_LMK_KCV, core.lmkKcv);
    writeMeta(db, META_PROFILE, options.profile);
    core.note(OPERATOR.name, 'init', { detail: `profile ${options.profile}, LMK kcv ${core.lmkKcv}` });
    if (options.profile === 'test') {
      for (const key of testProfileKeys()) core.execute(OPERATOR, 'importKey', key);
    }
    createCaInHsm(core.context, options.ca);
    core.note(OPERATOR.name, 'createCityCa', { keys: [keyRef(CITY_CA, 1)] });
  });
  try {
    initialise();
  } catch (err) {
    core.close();
    throw err;
  }
  return core;
}

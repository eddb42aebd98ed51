/**
 * The EP application's EFs (spec §4). Only the application's own commands and personalization
 * write them; every one is readable without a PIN, as PBOC terminals expect.
 *
 * | EF   | FID  | SFI | structure                      | read   | update |
 * |------|------|-----|--------------------------------|--------|--------|
 * | 0x15 | 0015 | 15  | transparent, 30 bytes          | always | never  |
 * | 0x12 | 0012 | 12  | transparent, 8 bytes           | always | never  |
 * | 0x18 | 0018 | 18  | cyclic, 10 records of 23 bytes | always | never  |
 */
import { ALWAYS, NEVER } from '../../fs/accessCondition.js';
import type { RecordEf } from '../../fs/recordEf.js';
import type { RecordEfSpec, TransparentEfSpec } from '../../fs/efSpec.js';
import type { InstalledApplication } from '../../runtime/installedApplication.js';
import { EP_ISSUER_EF_FID, EP_LIMITS_EF_FID, EP_LOG_EF_FID, EP_SFI } from './epStore.js';
import { EP_ISSUER_DATA_LENGTH } from './issuerData.js';
import { EP_LOG_RECORD_LENGTH, EP_LOG_RECORDS } from './logRecord.js';
import { EP_LIMITS_LENGTH } from './purseLimits.js';

const READ_ONLY = { read: ALWAYS, update: NEVER } as const;

export const EP_ISSUER_EF: TransparentEfSpec = {
  type: 'transparent',
  fid: EP_ISSUER_EF_FID,
  sfi: EP_SFI.issuer,
  maxSize: EP_ISSUER_DATA_LENGTH,
  access: READ_ONLY,
};

export const EP_LIMITS_EF: TransparentEfSpec = {
  type: 'transparent',
  fid: EP_LIMITS_EF_FID,
  sfi: EP_SFI.limits,
  maxSize: EP_LIMITS_LENGTH,
  access: READ_ONLY,
};

export const EP_LOG_EF: RecordEfSpec = {
  type: 'cyclic',
  fid: EP_LOG_EF_FID,
  sfi: EP_SFI.log,
  recordLength: EP_LOG_RECORD_LENGTH,
  maxRecords: EP_LOG_RECORDS,
  access: READ_ONLY,
};

/** The log EF of the installed EP application. Throws `Error` if `app` is not the EP (a wiring bug). */
export function logEfOf(app: InstalledApplication): RecordEf {
  const ef = app.df.efBySfi(EP_SFI.log);
  if (ef === undefined || ef.type !== 'cyclic') throw new Error(`application ${app.name} has no EP log EF`);
  return ef;
}

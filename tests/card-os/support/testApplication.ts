/**
 * A small application for exercising the runtime's ISO commands on every file type, independent
 * of the ID application: a PIN, a PUK, writable transparent and record EFs, a cyclic log, and one
 * proprietary command (CLA 80) with volatile state, as the purse will add.
 */
import {
  ALWAYS,
  CardError,
  NEVER,
  defineApplication,
  pinVerified,
  respond,
  StoreTransaction,
  efKey,
  encodePinBlock,
  pinTriesKey,
  pinValueKey,
  type Application,
  type PersistentStore,
  type PinSpec,
} from '@citycard/card-os';
import { fromHex } from '@citycard/protocols';

export const TEST_AID = fromHex('F0 54 45 53 54 41 50 50');
export const TEST_DF_FID = 0xdf7e;
export const TEST_PIN: PinSpec = { ref: 0x01, label: 'PIN', minDigits: 4, maxDigits: 8, maxTries: 3 };
export const TEST_PUK: PinSpec = {
  ref: 0x81,
  label: 'PUK',
  minDigits: 8,
  maxDigits: 8,
  maxTries: 10,
  unblocks: 0x01,
  blocksApplication: true,
};

/** Counts calls of the proprietary command within one selection. */
export interface TestState {
  calls: number;
}

export const testApplication: Application<TestState> = defineApplication<TestState>({
  name: 'TEST',
  aid: TEST_AID,
  fid: TEST_DF_FID,
  files: [
    // SFI 01: free to read and write, 16 bytes max.
    { type: 'transparent', fid: 0x0101, sfi: 0x01, maxSize: 16, access: { read: ALWAYS, update: ALWAYS } },
    // SFI 02: PIN to read and write.
    { type: 'transparent', fid: 0x0102, sfi: 0x02, maxSize: 300, access: { read: pinVerified(1), update: pinVerified(1) } },
    // SFI 03: 3 records of 4 bytes, update needs the PIN.
    { type: 'linear-fixed', fid: 0x0103, sfi: 0x03, recordLength: 4, maxRecords: 3, access: { read: ALWAYS, update: pinVerified(1) } },
    // SFI 04: cyclic log, 3 records of 2 bytes, never updated by command.
    { type: 'cyclic', fid: 0x0104, sfi: 0x04, recordLength: 2, maxRecords: 3, access: { read: ALWAYS, update: NEVER } },
    // No SFI: selectable by FID only.
    { type: 'transparent', fid: 0x0105, maxSize: 8, access: { read: NEVER, update: NEVER } },
  ],
  pins: [TEST_PIN, TEST_PUK],
  fciProprietary: (_ctx, app) => Buffer.from([0x9f, 0x0c, 0x01, app.aid[0]!]),
  createVolatileState: () => ({ calls: 0 }),
  commands: [
    {
      // 80 CA 00 00 00: count of calls since SELECT; 80 CA 00 01 xx: append record xx xx to the log.
      cla: 0x80,
      ins: 0xca,
      handle(cmd, ctx, app, state) {
        state.calls++;
        if (cmd.p2 === 0x01) {
          const log = app.df.efBySfi(4);
          if (log?.type !== 'cyclic') throw new CardError(0x6f00);
          const tx = new StoreTransaction(ctx.store);
          log.append(tx, Buffer.from([cmd.p1, cmd.p1]));
          tx.commit();
        }
        return respond(Buffer.from([state.calls]), 0x9000);
      },
    },
  ],
});

/** Test application PIN and PUK digits. */
export const TEST_PIN_DIGITS = '1234';
export const TEST_PUK_DIGITS = '12345678';

/** Store the test application's PIN 1234 and PUK 12345678 with full tries (one commit). */
export function personalizeTestApplication(store: PersistentStore): void {
  const aid = TEST_AID.toString('hex').toUpperCase();
  const tx = new StoreTransaction(store);
  tx.set(pinValueKey(aid, TEST_PIN.ref), encodePinBlock(TEST_PIN_DIGITS, TEST_PIN));
  tx.set(pinTriesKey(aid, TEST_PIN.ref), Buffer.from([TEST_PIN.maxTries]));
  tx.set(pinValueKey(aid, TEST_PUK.ref), encodePinBlock(TEST_PUK_DIGITS, TEST_PUK));
  tx.set(pinTriesKey(aid, TEST_PUK.ref), Buffer.from([TEST_PUK.maxTries]));
  tx.commit();
}

/** Store key of one of the test application's EFs. */
export function testEfKey(fid: number): string {
  return efKey(TEST_AID.toString('hex').toUpperCase(), fid);
}

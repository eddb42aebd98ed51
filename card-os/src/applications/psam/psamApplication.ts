/**
 * The PSAM application (card interface spec §5), the only application of a terminal's PSAM card:
 * AID F0 43 49 54 59 53 41 4D ("\xF0CITYSAM"), no DF FID.
 *
 * | EF | FID  | SFI | content                  | read   | update |
 * |----|------|-----|--------------------------|--------|--------|
 * | terminal number | 0016 | 16 | 6 bytes      | always | never  |
 *
 * Read the terminal number with `00 B0 96 00 06`. Commands (CLA 80): `70` MAC1 for purchase,
 * `72` verify MAC2, `74` maintenance MAC. Keys (MPK per key version, MAMK) and the TTSN live in
 * the store (psamStore.ts); no command reads a key out. The FCI's `A5` holds the application
 * label `50` "CITYSAM".
 */
import { ALWAYS, NEVER } from '../../fs/accessCondition.js';
import type { TransparentEfSpec } from '../../fs/efSpec.js';
import { defineApplication, type Application } from '../../runtime/application.js';
import { mac1ForPurchase } from './mac1ForPurchase.js';
import { maintenanceMacCommand } from './maintenanceMacCommand.js';
import { PSAM_AID, PSAM_TERMINAL_EF_FID, PSAM_TERMINAL_EF_SFI, TERMINAL_NUMBER_LENGTH } from './psamStore.js';
import { newPsamState, type PsamState } from './psamState.js';
import { verifyMac2 } from './verifyMac2.js';

/** Instructions of the PSAM's proprietary commands (CLA 80). */
export const PSAM_INS = {
  MAC1_FOR_PURCHASE: 0x70,
  VERIFY_MAC2: 0x72,
  MAINTENANCE_MAC: 0x74,
} as const;

export const PSAM_TERMINAL_EF: TransparentEfSpec = {
  type: 'transparent',
  fid: PSAM_TERMINAL_EF_FID,
  sfi: PSAM_TERMINAL_EF_SFI,
  maxSize: TERMINAL_NUMBER_LENGTH,
  access: { read: ALWAYS, update: NEVER },
};

const FCI_PROPRIETARY = Buffer.from([0x50, 0x07, ...Buffer.from('CITYSAM', 'latin1')]);

/** The PSAM application definition; install it (alone) in the PSAM's `VirtualCard`. */
export const psamApplication: Application<PsamState> = defineApplication<PsamState>({
  name: 'PSAM',
  aid: PSAM_AID,
  files: [PSAM_TERMINAL_EF],
  fciProprietary: FCI_PROPRIETARY,
  createVolatileState: newPsamState,
  commands: [
    { cla: 0x80, ins: PSAM_INS.MAC1_FOR_PURCHASE, handle: (cmd, ctx, _app, state) => mac1ForPurchase(cmd, ctx, state) },
    { cla: 0x80, ins: PSAM_INS.VERIFY_MAC2, handle: (cmd, ctx, _app, state) => verifyMac2(cmd, ctx, state) },
    { cla: 0x80, ins: PSAM_INS.MAINTENANCE_MAC, handle: (cmd, ctx) => maintenanceMacCommand(cmd, ctx) },
  ],
});

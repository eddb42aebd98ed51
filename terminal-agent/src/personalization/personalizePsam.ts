/**
 * Personalize a blank PSAM at the station (docs/personalization.md §3 and §4): open the secure
 * session through the HSM, PUT KEY the MPK of every key version the terminal serves and the
 * MAMK (the masters themselves, wrapped by the HSM), STORE DATA the terminal number, END
 * PERSONALIZATION. The station relays ciphertext only. Throws `PersonalizationFailedError` (see
 * stationErrors.ts) after telling the HSM to forget the session; a PSAM that failed before END
 * PERSONALIZATION stays blank.
 */
import { encodeBcd } from '@citycard/protocols';
import { ApduChannel } from '../channel/apduChannel.js';
import type { ApduTrailEntry } from '../channel/apduTrail.js';
import type { CardTransport } from '../transport/cardTransport.js';
import type { StationOptions } from './personalizeCard.js';
import { StepRunner } from './stepRunner.js';
import { PersonalizationSession, type StationCustodian } from './personalizationSession.js';

/** PUT KEY ids and the STORE DATA object of a PSAM. */
export const PSAM_KEY_IDS = { MPK: 0x11, MAMK: 0x14 } as const;
export const PSAM_OBJECT_TERMINAL_NUMBER = 0x0316;

export interface PsamOrder {
  /** 12 decimal digits, stored as 6 BCD bytes (EF 0x16). */
  readonly terminalNumber: string;
  /** MPK versions the PSAM serves (each 1 to 255, at least one); default `[1]`. */
  readonly keyVersions?: readonly number[];
  /** Version of the MAMK; default 1. */
  readonly maintenanceKeyVersion?: number;
  /** Version of the transport master key of the blank PSAM; default the HSM's (1). */
  readonly transportKeyVersion?: number;
}

export interface PsamPersonalizationResult {
  /** The PSAM's chip serial number, 8 bytes. */
  readonly csn: Buffer;
  /** 6 BCD bytes, as stored. */
  readonly terminalNumber: Buffer;
  readonly trail: readonly ApduTrailEntry[];
}

/** Personalize the blank PSAM on `transport`. Throws as the module comment says. */
export async function personalizePsam(
  transport: CardTransport,
  custodian: StationCustodian,
  order: PsamOrder,
  options: StationOptions = {},
): Promise<PsamPersonalizationResult> {
  const channel = new ApduChannel(transport, options);
  const session = new PersonalizationSession(channel, custodian);
  const run = new StepRunner(channel, session);
  const keyVersions = order.keyVersions ?? [1];
  const terminalNumber = await run.step('checking the order', async () => {
    if (!/^[0-9]{12}$/.test(order.terminalNumber)) throw new RangeError('a terminal number is 12 decimal digits');
    if (keyVersions.length === 0 || new Set(keyVersions).size !== keyVersions.length) {
      throw new RangeError('a PSAM serves at least one key version, each once');
    }
    return encodeBcd(order.terminalNumber, 6);
  });
  await run.step('power on', () => transport.powerOn());
  await run.step('opening the session', () => session.open({ kind: 'psam' }, order.transportKeyVersion));
  for (const version of keyVersions) {
    await run.step(`PUT KEY MPK version ${version}`, () => session.putKey(PSAM_KEY_IDS.MPK, version));
  }
  await run.step('PUT KEY MAMK', () => session.putKey(PSAM_KEY_IDS.MAMK, order.maintenanceKeyVersion ?? 1));
  await run.step('STORE DATA terminal number', () => session.storeData(PSAM_OBJECT_TERMINAL_NUMBER, terminalNumber));
  await run.step('END PERSONALIZATION', () => session.end());
  return { csn: session.csn!, terminalNumber, trail: channel.trail };
}

/**
 * Everything a personalization station needs before the first card, checked up front so a wrong
 * credential or a missing reader stops the command before any job is claimed (a station that
 * fails every card would use up the jobs' attempts): the backend session of a clerk, the HSM as a
 * bureau client, the PC/SC reader.
 */
import { HsmClient } from '@citycard/hsm-sim';
import { HttpIssuanceQueue, PcscAdapter } from '@citycard/terminal-agent';
import { BureauApi } from './bureauApi.js';
import { StationSetupError } from './stationSetupError.js';

export interface StationSetupOptions {
  readonly backend: string;
  readonly station: string;
  readonly reader: string;
  readonly hsmSocket: string | undefined;
}

/** Where the credentials come from (flags would show in process listings). */
export interface StationCredentials {
  /** A clerk's session token. */
  readonly CITYCARD_BACKEND_TOKEN?: string | undefined;
  /** A bureau client token of the HSM (`hsm client add --role bureau`). */
  readonly CITYCARD_HSM_TOKEN?: string | undefined;
}

export interface Station {
  readonly api: BureauApi;
  readonly queue: HttpIssuanceQueue;
  readonly custodian: HsmClient;
  readonly reader: PcscAdapter;
  /** Releases the reader and the HSM connection. */
  close(): Promise<void>;
}

/** The role the backend lets claim issuance jobs, and the HSM role that may personalize. */
const BACKEND_ROLE = 'clerk';
const HSM_ROLE = 'bureau';

/** Opens the station. Throws `StationSetupError` naming what to fix; nothing stays open then. */
export async function openStation(options: StationSetupOptions, credentials: StationCredentials): Promise<Station> {
  const token = credentials.CITYCARD_BACKEND_TOKEN;
  const hsmToken = credentials.CITYCARD_HSM_TOKEN;
  if (token === undefined || token === '') throw new StationSetupError('set CITYCARD_BACKEND_TOKEN to a clerk session token');
  if (hsmToken === undefined || hsmToken === '') throw new StationSetupError(`set CITYCARD_HSM_TOKEN to a ${HSM_ROLE} client token of the HSM`);
  if (options.hsmSocket === undefined) throw new StationSetupError('give --hsm-socket (or CITYCARD_HSM_SOCKET)');

  const api = new BureauApi(options.backend, token);
  const me = await api.me();
  if (me.role !== BACKEND_ROLE) {
    throw new StationSetupError(`CITYCARD_BACKEND_TOKEN signs in as ${me.username} (${me.role}); a station works as a ${BACKEND_ROLE}`);
  }
  let custodian: HsmClient;
  try {
    custodian = await HsmClient.connect({ address: { path: options.hsmSocket }, token: hsmToken });
  } catch (err) {
    throw new StationSetupError(`cannot use the HSM at ${options.hsmSocket}: ${(err as Error).message}`, { cause: err });
  }
  if (custodian.identity.role !== HSM_ROLE) {
    await custodian.close();
    throw new StationSetupError(`CITYCARD_HSM_TOKEN is the HSM client ${custodian.identity.name} (${custodian.identity.role}); personalization needs a ${HSM_ROLE} client`);
  }
  let reader: PcscAdapter;
  try {
    reader = await PcscAdapter.open(options.reader);
  } catch (err) {
    await custodian.close();
    throw new StationSetupError(`cannot open the reader "${options.reader}": ${(err as Error).message}`, { cause: err });
  }
  return {
    api,
    queue: new HttpIssuanceQueue({ baseUrl: options.backend, token, station: options.station }),
    custodian,
    reader,
    async close() {
      await reader.close();
      await custodian.close();
    },
  };
}

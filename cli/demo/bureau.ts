/**
 * The card bureau side of the demo, all through the backend's HTTP API: staff accounts, a
 * resident enrolled, a card applied for and approved, an issuance job the station personalizes,
 * the card issued and activated; a gate terminal registered with its merchant, and the key the
 * backend signs the hotlist with, for the gate's configuration.
 */
import { ApiSession, type BackendProcess } from './backendProcess.js';

const STAFF_PASSWORD = 'demo-password-0001';

export interface BureauStaff {
  readonly admin: ApiSession;
  readonly clerk: ApiSession;
  readonly supervisor: ApiSession;
}

/** Sign the admin in (first login: new password), create a clerk and a supervisor and sign them in. */
export async function openBureau(backend: BackendProcess): Promise<BureauStaff> {
  const admin = await ApiSession.staff(backend.url, 'admin', backend.adminOneTimePassword, STAFF_PASSWORD);
  const account = async (username: string, role: string, displayName: string): Promise<ApiSession> => {
    const created = await admin.request<{ oneTimePassword: string }>('POST', '/api/v1/staff', { username, role, displayName });
    return ApiSession.staff(backend.url, username, created.oneTimePassword, STAFF_PASSWORD);
  };
  return {
    admin,
    clerk: await account('clerk.wang', 'clerk', 'Wang Fang (clerk)'),
    supervisor: await account('sup.zhao', 'supervisor', 'Zhao Lei (supervisor)'),
  };
}

export interface Card {
  readonly id: string;
  readonly state: string;
  readonly cardNumber: string | null;
}

export interface RegisteredGate {
  /** `TERMINAL.SECRET`, shown once: the gate's CITYCARD_TERMINAL_TOKEN. */
  readonly credential: string;
  /** The backend's hotlist Ed25519 public key, 64 hex digits, to pin in the gate's configuration. */
  readonly hotlistKey: string;
}

/**
 * A supervisor registers a transit merchant and a gate terminal under it. The hotlist key is
 * read once here, at provisioning, by the operator who started this backend, and pinned in the
 * gate's configuration: the gate itself never learns it from the network (docs/hotlist.md).
 */
export async function registerGate(staff: BureauStaff, terminalNumber: string, location: string): Promise<RegisteredGate> {
  const merchant = await staff.supervisor.request<{ id: string }>('POST', '/api/v1/merchants', { name: 'City Metro', category: 'transit' });
  const gate = await staff.supervisor.request<{ credential: string }>('POST', '/api/v1/terminals', {
    terminalNumber,
    merchantId: merchant.id,
    mode: 'gate',
    location,
  });
  const key = await staff.supervisor.request<{ publicKey: string }>('GET', '/api/v1/hotlist/public-key');
  return { credential: gate.credential, hotlistKey: key.publicKey };
}

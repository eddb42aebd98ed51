/**
 * Client roles, for least privilege. Each command names the roles that may call it (see the
 * command table); nothing is allowed by default.
 *
 * - `admin`: key management (generate, import, export, check values) and clients; no transactions.
 * - `bureau`: personalization sessions, card certificates, key export for PSAM loading.
 * - `load`: load MAC1 check and MAC2 issue (online load).
 * - `clearing`: purchase and load TAC verification.
 * - `terminal`: nothing key-bearing (ping, the CA certificate).
 */
export type Role = 'admin' | 'bureau' | 'load' | 'clearing' | 'terminal';

export const ROLES: readonly Role[] = ['admin', 'bureau', 'load', 'clearing', 'terminal'];

/** Whether `value` names a role. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** An authenticated caller: what every command runs on behalf of. */
export interface ClientIdentity {
  readonly name: string;
  readonly role: Role;
}

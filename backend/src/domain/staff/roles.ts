/**
 * Staff roles, least privilege: each route names the roles it admits, nobody inherits another's.
 * - clerk: front-desk work (enroll, issue, report loss), may request sensitive actions.
 * - supervisor: approves sensitive actions requested by others (dual control).
 * - auditor: reads audit trails and approvals, changes nothing.
 * - admin: manages staff accounts; approves sensitive actions.
 */
export const ROLES = ['clerk', 'supervisor', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The signed-in staff member a request acts for. */
export interface StaffPrincipal {
  id: string;
  username: string;
  role: Role;
}

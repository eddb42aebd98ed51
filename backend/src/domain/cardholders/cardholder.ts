import type { AccessPurpose } from './accessPurpose.js';

export type CardholderKind = 'resident' | 'floating';

export const HOUSEHOLD_RELATIONS = [
  'head', 'spouse', 'child', 'parent', 'grandparent', 'grandchild', 'sibling', 'other',
] as const;
export type HouseholdRelation = (typeof HOUSEHOLD_RELATIONS)[number];

/** A registered person as stored (plain record). Dates are YYYY-MM-DD, timestamps ISO-8601 UTC. */
export interface Cardholder {
  readonly id: string;
  readonly kind: CardholderKind;
  readonly fullName: string;
  /** Required for residents; optional for floating population. */
  readonly citizenId: string | null;
  readonly birthDate: string;
  readonly phone: string | null;
  readonly address: string;
  readonly household: { readonly householdId: string; readonly relation: HouseholdRelation } | null;
  /** Floating population only. */
  readonly residencePermit: { readonly number: string; readonly expiresOn: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One logged read of a cardholder's personal data. */
export interface AccessLogEntry {
  readonly id: number;
  readonly cardholderId: string;
  readonly accessor: string;
  readonly purpose: AccessPurpose;
  readonly at: string;
}

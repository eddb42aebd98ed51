/**
 * Key ceremony under dual control: rotating the hotlist signing key. A supervisor or admin asks
 * (approval kind `hotlist.signing-key.rotate`); a different supervisor or admin approves, which
 * runs the rotation: a new Ed25519 key is made and staged, the rotation is written to the
 * hash-chained audit log, and only then the new key replaces the old one (file and memory).
 * From then on every hotlist message is signed by the new key and GET /api/v1/hotlist/public-key
 * serves its public half.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { ed25519PublicKeyToRaw, toHex } from '@citycard/protocols';
import { z } from 'zod';
import type { AuditSink } from '../audit/auditSink.js';
import type { Clock } from '../staff/clock.js';
import type { StaffPrincipal } from '../staff/roles.js';
import type { ApprovalView, Approvals } from './approvals.js';

export const HOTLIST_KEY_ROTATE = 'hotlist.signing-key.rotate';

/** Why a key is rotated, as a code (the audit log keeps no free text). */
export const KEY_ROTATION_REASONS = ['scheduled', 'suspected-compromise', 'custodian-change'] as const;
export type KeyRotationReason = (typeof KEY_ROTATION_REASONS)[number];

export const keyRotationPayloadSchema = z.strictObject({ reason: z.enum(KEY_ROTATION_REASONS) });
export type KeyRotationPayload = z.infer<typeof keyRotationPayloadSchema>;

/** The key being rotated (data/hotlistSigningKey.ts `SigningKeyHolder`). */
export interface RotatableSigningKey {
  readonly current: { readonly publicKey: KeyObject };
  /** A new key, not yet in use; throws the storage's error. */
  prepareRotation(): { readonly publicKey: KeyObject; commit(): void; abort(): void };
}

/** What the approval of a rotation answers. */
export interface KeyRotationResult {
  /** Raw Ed25519 public key, 64 hex digits, as GET /api/v1/hotlist/public-key serves it. */
  readonly publicKey: string;
  /** SHA-256 of the raw public key, hex: the name the audit log gives each key. */
  readonly fingerprint: string;
  readonly previousFingerprint: string;
  readonly rotatedAt: string;
}

export interface HotlistKeyCeremonyDeps {
  readonly key: RotatableSigningKey;
  readonly audit: AuditSink;
  readonly clock: Clock;
}

/** SHA-256 of the raw 32-byte Ed25519 public key, lower-case hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(ed25519PublicKeyToRaw(publicKey)).digest('hex');
}

/**
 * Rotates the key for an approved request. Audited as `hotlist.signing-key.rotate` by the
 * requester, with approval id, approver, reason and both fingerprints (never a key); a key
 * that then cannot be stored is audited as `hotlist.signing-key.rotate-failed`. Throws the
 * storage's or the audit sink's error; either leaves the old key in use.
 */
export function rotateHotlistSigningKey(
  deps: HotlistKeyCeremonyDeps,
  payload: KeyRotationPayload,
  approved: { readonly approval: ApprovalView; readonly approver: StaffPrincipal },
): KeyRotationResult {
  const previousFingerprint = keyFingerprint(deps.key.current.publicKey);
  const next = deps.key.prepareRotation();
  const fingerprint = keyFingerprint(next.publicKey);
  const rotatedAt = deps.clock().toISOString();
  try {
    // Recorded before the switch: a rotation the audit log does not show must not happen.
    deps.audit.record({
      at: rotatedAt,
      actor: approved.approval.requestedBy,
      action: HOTLIST_KEY_ROTATE,
      target: fingerprint,
      details: { approvalId: approved.approval.id, approvedBy: approved.approver.id, reason: payload.reason, previousFingerprint, fingerprint },
    });
  } catch (err) {
    next.abort();
    throw err;
  }
  try {
    next.commit();
  } catch (err) {
    // The entry above announced a key that never came into use: say so in the chain too.
    deps.audit.record({
      at: deps.clock().toISOString(),
      actor: 'system',
      action: `${HOTLIST_KEY_ROTATE}-failed`,
      target: fingerprint,
      details: { approvalId: approved.approval.id, previousFingerprint },
    });
    throw err;
  }
  return { publicKey: toHex(ed25519PublicKeyToRaw(next.publicKey)), fingerprint, previousFingerprint, rotatedAt };
}

/** Defines the approval kind. Throws `ApprovalKindError` when it is already defined. */
export function defineHotlistKeyCeremony(approvals: Approvals, deps: HotlistKeyCeremonyDeps): void {
  approvals.defineKind({
    kind: HOTLIST_KEY_ROTATE,
    description: 'rotate the hotlist signing key: new hotlist messages are signed by a new key; terminals fetch its public half',
    payload: keyRotationPayloadSchema,
    requesterRoles: ['supervisor', 'admin'],
    approverRoles: ['supervisor', 'admin'],
    execute: (payload, approved) => rotateHotlistSigningKey(deps, payload, approved),
  });
}

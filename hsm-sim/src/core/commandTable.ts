/**
 * The command table: for each command, the roles allowed to call it, the function that runs it,
 * and what its audit entry records (key references, subject, outcome), never a key value.
 */
import { toHex } from '@citycard/protocols';
import { type AuditOutcome } from '../audit/auditLog.js';
import { type ClientIdentity, type Role } from '../auth/roles.js';
import { CARD_KEY_MASTERS, diversifyCardKeys } from '../commands/cardKeys.js';
import { caCertificate, signCardCertificate } from '../commands/certificates.js';
import { type CommandContext } from '../commands/context.js';
import { exportKey } from '../commands/exportKey.js';
import { generateKey, importKey, keyCheckValue, listKeys } from '../commands/keyManagement.js';
import { verifyLoadMac1AndIssueMac2, verifyLoadTac } from '../commands/load.js';
import {
  abortPersonalization,
  openPersonalization,
  startPersonalization,
  wrapEndPersonalization,
  wrapGenerateKeyPair,
  wrapPutKey,
  wrapStoreData,
  wrapStorePins,
} from '../commands/personalization.js';
import { verifyPurchaseTac, verifyPurchaseTacs } from '../commands/purchase.js';
import { CITY_CA, MLK, MTK, MTRK } from '../keystore/keyLabels.js';
import { keyRef } from '../keystore/keyRecord.js';
import { PUT_KEY_IDS } from '../personalization/commandSet.js';
import type { CommandName, CommandParams, CommandResult } from '../protocol/commandMap.js';

/** What the audit entry of one call records besides time, client and command. */
export interface AuditFacts {
  readonly keys?: readonly string[];
  readonly subject?: string;
  /** Default `ok` when the command returned. */
  readonly outcome?: AuditOutcome;
  readonly detail?: string;
}

export interface CommandSpec<P, R> {
  readonly roles: readonly Role[];
  readonly run: (ctx: CommandContext, client: ClientIdentity, params: P) => R;
  /** Audit facts; `result` is undefined when the command failed. Must not throw. */
  readonly audit?: (params: P, result: R | undefined) => AuditFacts;
}

export type CommandTable = { readonly [N in CommandName]: CommandSpec<CommandParams<N>, CommandResult<N>> };

const EVERYONE: readonly Role[] = ['admin', 'bureau', 'load', 'clearing', 'terminal'];

/** A command whose result does not depend on who calls it (the role check is enough). */
function anyClient<P, R>(run: (ctx: CommandContext, params: P) => R): CommandSpec<P, R>['run'] {
  return (ctx, _client, params) => run(ctx, params);
}

function card(cardNumber: Uint8Array): string {
  return toHex(cardNumber);
}

function verdict(ok: boolean | undefined): AuditOutcome | undefined {
  return ok === false ? 'mismatch' : undefined;
}

/** First 8 hex digits of a session id: enough to follow a session through the log. */
function sessionSubject(id: string): string {
  return `session ${id.slice(0, 8)}`;
}

export const COMMAND_TABLE: CommandTable = {
  ping: {
    roles: EVERYONE,
    run: (ctx, client) => ({ client: client.name, role: client.role, time: ctx.clock().toISOString() }),
  },
  generateKey: {
    roles: ['admin'],
    run: anyClient(generateKey),
    audit: (p, kcv) => ({ keys: [keyRef(p.label, p.version)], detail: `${p.usage}${kcv === undefined ? '' : ` kcv ${kcv}`}` }),
  },
  importKey: {
    roles: ['admin'],
    run: anyClient(importKey),
    audit: (p, kcv) => ({
      keys: [keyRef(p.label, p.version)],
      detail: `${p.usage}, ${p.components.length} component(s)${kcv === undefined ? '' : `, kcv ${kcv}`}`,
    }),
  },
  keyCheckValue: { roles: ['admin', 'bureau'], run: anyClient(keyCheckValue), audit: (p) => ({ keys: [keyRef(p.label, p.version)] }) },
  listKeys: { roles: ['admin'], run: listKeys },
  exportKey: {
    roles: ['admin', 'bureau'],
    run: anyClient(exportKey),
    audit: (p) => ({ keys: [keyRef(p.key.label, p.key.version), keyRef(p.kek.label, p.kek.version)], detail: 'wrapped under KEK' }),
  },
  diversifyCardKeys: {
    roles: ['admin', 'bureau'],
    run: anyClient(diversifyCardKeys),
    audit: (p) => ({
      keys: [
        ...Object.values(CARD_KEY_MASTERS).map((label) => keyRef(label, p.keyVersion)),
        ...(p.kek === undefined ? [] : [keyRef(p.kek.label, p.kek.version)]),
      ],
      subject: card(p.cardNumber),
    }),
  },
  addClient: {
    roles: ['admin'],
    run: (ctx, _client, p) => ({ token: ctx.clients.add(p.name, p.role, ctx.clock()).token }),
    audit: (p) => ({ subject: `client ${p.name}`, detail: `role ${p.role}` }),
  },
  removeClient: {
    roles: ['admin'],
    run: (ctx, _client, p) => {
      ctx.clients.remove(p.name);
      return null;
    },
    audit: (p) => ({ subject: `client ${p.name}` }),
  },
  listClients: { roles: ['admin'], run: (ctx) => ctx.clients.list() },
  verifyLoadMac1AndIssueMac2: {
    roles: ['load'],
    run: anyClient(verifyLoadMac1AndIssueMac2),
    audit: (p, r) => ({
      keys: [keyRef(MLK, p.keyVersion)],
      subject: card(p.cardNumber),
      outcome: verdict(r?.ok),
      detail: `load ${p.amount}${r?.ok === false ? ', MAC1 invalid' : ''}`,
    }),
  },
  verifyLoadTac: {
    roles: ['load', 'clearing'],
    run: anyClient(verifyLoadTac),
    audit: (p, r) => ({ keys: [keyRef(MTK, p.keyVersion)], subject: card(p.cardNumber), outcome: verdict(r) }),
  },
  verifyPurchaseTac: {
    roles: ['clearing'],
    run: anyClient(verifyPurchaseTac),
    audit: (p, r) => ({ keys: [keyRef(MTK, p.keyVersion)], subject: card(p.cardNumber), outcome: verdict(r) }),
  },
  verifyPurchaseTacs: {
    roles: ['clearing'],
    run: (ctx, _client, p) => verifyPurchaseTacs(ctx, p.checks),
    audit: (p, r) => {
      const versions = [...new Set(p.checks.map((c) => c.keyVersion))].sort((a, b) => a - b);
      const bad = r === undefined ? 0 : r.filter((ok) => !ok).length;
      return {
        keys: versions.map((v) => keyRef(MTK, v)),
        subject: `batch of ${p.checks.length}`,
        outcome: bad > 0 ? 'mismatch' : undefined,
        detail: r === undefined ? '' : `${r.length - bad} verified, ${bad} rejected`,
      };
    },
  },
  signCardCertificate: {
    roles: ['bureau'],
    run: anyClient(signCardCertificate),
    audit: (p) => ({ keys: [keyRef(CITY_CA, 1)], subject: card(p.cardNumber) }),
  },
  caCertificate: { roles: EVERYONE, run: caCertificate },
  startPersonalization: {
    roles: ['bureau'],
    run: startPersonalization,
    audit: (p, r) => ({
      keys: [keyRef(MTRK, p.transportKeyVersion ?? 1)],
      subject: `${p.target.kind === 'card' ? `card ${card(p.target.cardNumber)}` : 'psam'}${r === undefined ? '' : `, ${sessionSubject(r.session)}`}`,
    }),
  },
  openPersonalization: {
    roles: ['bureau'],
    run: openPersonalization,
    audit: (p) => ({ keys: [MTRK], subject: `${sessionSubject(p.session)}, CSN ${toHex(p.csn)}` }),
  },
  wrapPutKey: {
    roles: ['bureau'],
    run: wrapPutKey,
    audit: (p) => {
      const spec = PUT_KEY_IDS.get(p.keyId);
      return {
        keys: spec === undefined ? [] : [keyRef(spec.master, p.keyVersion)],
        subject: sessionSubject(p.session),
        detail: `PUT KEY id ${p.keyId.toString(16).padStart(2, '0').toUpperCase()}`,
      };
    },
  },
  wrapStoreData: {
    roles: ['bureau'],
    run: wrapStoreData,
    audit: (p) => ({
      subject: sessionSubject(p.session),
      detail: `STORE DATA object ${p.object.toString(16).padStart(4, '0').toUpperCase()}, ${p.data.length} bytes`,
    }),
  },
  wrapStorePins: { roles: ['bureau'], run: wrapStorePins, audit: (p) => ({ subject: sessionSubject(p.session), detail: 'PIN and PUK' }) },
  wrapGenerateKeyPair: { roles: ['bureau'], run: wrapGenerateKeyPair, audit: (p) => ({ subject: sessionSubject(p.session) }) },
  wrapEndPersonalization: { roles: ['bureau'], run: wrapEndPersonalization, audit: (p) => ({ subject: sessionSubject(p.session) }) },
  abortPersonalization: {
    roles: ['bureau'],
    run: (ctx, client, p) => {
      abortPersonalization(ctx, client, p);
      return null;
    },
    audit: (p) => ({ subject: sessionSubject(p.session) }),
  },
};

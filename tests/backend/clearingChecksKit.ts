/**
 * Fixtures of the clearing-check suite: a migrated in-memory backend database with two merchants
 * and three terminals, purse records with real TACs under the test profile's MTK (as the HSM and
 * terminal purse suites compute them), uploads through the real `receiveBatch` (so conflict rows
 * are the inbox's own), and readers of what clearing wrote.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { diversifyKey, encodeBcd, fromHex, loadTac, purchaseTac, tacKey, toHex } from '@citycard/protocols';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { HotlistRepository } from '../../backend/src/data/hotlistRepository.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { MerchantRepository } from '../../backend/src/data/merchantRepository.js';
import { TerminalRepository } from '../../backend/src/data/terminalRepository.js';
import { type InboxRecord, UploadInboxRepository, UploadKeyRepository } from '../../backend/src/data/uploadInboxRepository.js';
import { type ClearingDeps, type TacVerifier, setMerchantFee } from '../../backend/src/domain/clearing/index.js';
import { Hotlist } from '../../backend/src/domain/hotlist/hotlist.js';
import { Ledger } from '../../backend/src/domain/ledger/index.js';
import { type BatchAck, receiveBatch } from '../../backend/src/domain/uploads/index.js';
import { TEST_MTK } from '../../hsm-sim/src/core/testProfile.js';
import type { LoadRecord, PurchaseRecord } from '../../terminal-agent/src/purse/purseRecords.js';
import { signBatch } from '../../terminal-agent/src/upload/batchSigning.js';

/** When clearing runs: after every record's time. */
export const CLEARING_NOW = new Date('2026-11-23T12:00:00.000Z');
export const DATE = '20261123';

export const CAFE = 'merchant-cafe';
export const TRANSIT = 'merchant-transit';
/** The cafe's own fee: 60 bps (250 fen pays 1 fen, rounded down). */
export const CAFE_FEE_BPS = 60;
/** Everyone else's (the default handed to clearing). */
export const DEFAULT_FEE = 25;

export const POS = '000000000001';
export const GATE = '000000000002';
export const KIOSK = '000000000003';
const TERMINAL_MERCHANTS: Record<string, string> = { [POS]: CAFE, [GATE]: TRANSIT, [KIOSK]: TRANSIT };

/** Ed25519 seeds 01 01 …, 02 02 …, 03 03 …: one upload key per terminal. */
const UPLOAD_KEYS = new Map(
  [POS, GATE, KIOSK].map((t, i) => [
    t,
    createPrivateKey({ key: Buffer.concat([fromHex('302E020100300506032B657004220420'), Buffer.alloc(32, i + 1)]), format: 'der', type: 'pkcs8' }),
  ]),
);

const mtk = fromHex(TEST_MTK);
const tacKeyOf = (card: string): Buffer => tacKey(diversifyKey(mtk, encodeBcd(card)));

export interface PurchaseSpec {
  readonly card: string;
  readonly counter: number;
  readonly ttsn: number;
  readonly amount: number;
  readonly before: number;
  readonly terminal?: string;
  /** hhmmss on DATE. */
  readonly time: string;
}

/** A purchase record whose TAC the test-profile HSM verifies. */
export function purchase(s: PurchaseSpec): PurchaseRecord {
  const terminal = s.terminal ?? POS;
  const tac = purchaseTac(tacKeyOf(s.card), { amount: s.amount, terminal: fromHex(terminal), ttsn: s.ttsn, date: encodeBcd(DATE), time: encodeBcd(s.time) });
  return {
    kind: 'purchase',
    cardNumber: s.card,
    amount: s.amount,
    terminal,
    date: DATE,
    time: s.time,
    balanceBefore: s.before,
    keyVersion: 1,
    algorithmId: 0,
    trail: [],
    offlineCounter: s.counter,
    ttsn: s.ttsn,
    mac2: '00000000',
    tac: toHex(tac),
    mac2Verified: true,
    recovered: false,
  };
}

export interface LoadSpec {
  readonly card: string;
  readonly counter: number;
  readonly amount: number;
  readonly before: number;
  readonly time: string;
}

/** A load record at the kiosk whose TAC the test-profile HSM verifies. */
export function load(s: LoadSpec): LoadRecord {
  const tac = loadTac(tacKeyOf(s.card), {
    newBalance: s.before + s.amount,
    onlineCounter: s.counter,
    amount: s.amount,
    terminal: fromHex(KIOSK),
    date: encodeBcd(DATE),
    time: encodeBcd(s.time),
  });
  return {
    kind: 'load',
    cardNumber: s.card,
    amount: s.amount,
    terminal: KIOSK,
    date: DATE,
    time: s.time,
    balanceBefore: s.before,
    keyVersion: 1,
    algorithmId: 0,
    trail: [],
    onlineCounter: s.counter,
    mac2: '00000000',
    tac: toHex(tac),
    tacVerified: true,
    recovered: false,
  };
}

/** The record with its TAC's first byte flipped. */
export function forged<R extends PurchaseRecord | LoadRecord>(r: R): R {
  const first = (Number.parseInt(r.tac.slice(0, 2), 16) ^ 0x01).toString(16).toUpperCase().padStart(2, '0');
  return { ...r, tac: first + r.tac.slice(2) };
}

export interface ClearingKit {
  readonly db: Db;
  readonly ledger: Ledger;
  readonly hotlist: Hotlist;
  readonly inbox: UploadInboxRepository;
  /** Stores records as `terminal`'s next signed batch; returns the ack. */
  upload(terminal: string, records: readonly (PurchaseRecord | LoadRecord)[]): BatchAck;
  /** Every inbox row, by id. */
  rows(): InboxRecord[];
  deps(tacs: TacVerifier, overrides?: Partial<ClearingDeps>): ClearingDeps;
  close(): void;
}

/** A fresh database: merchants, terminals with upload keys, the cafe's fee. */
export function clearingKit(now: () => Date = () => CLEARING_NOW): ClearingKit {
  const db = openDatabase(':memory:');
  migrate(db, undefined, now);
  const at = '2026-11-01T00:00:00.000Z';
  const merchants = new MerchantRepository(db);
  merchants.insert({ id: CAFE, name: 'Cafe', category: 'food', createdAt: at });
  merchants.insert({ id: TRANSIT, name: 'Transit', category: 'transit', createdAt: at });
  const terminals = new TerminalRepository(db);
  const keys = new UploadKeyRepository(db);
  for (const [terminal, merchantId] of Object.entries(TERMINAL_MERCHANTS)) {
    const mode = terminal === KIOSK ? 'kiosk' : terminal === GATE ? 'gate' : 'pos';
    terminals.insert({ terminalNumber: terminal, merchantId, mode, location: 'test', disabled: false, credentialIssuedAt: at, createdAt: at, updatedAt: at }, '00');
    const raw = createPublicKey(UPLOAD_KEYS.get(terminal)!).export({ format: 'der', type: 'spki' }).subarray(-32);
    keys.put({ terminalNumber: terminal, publicKey: toHex(raw), proofIssuedAt: at, registeredAt: at });
  }
  setMerchantFee(db, CAFE, CAFE_FEE_BPS, new Date(at));
  const ledger = new Ledger(db, now);
  const hotlist = new Hotlist({ repository: new HotlistRepository(db), signingKey: generateKeyPairSync('ed25519').privateKey, now });
  const inbox = new UploadInboxRepository(db);
  let batches = 0;
  return {
    db,
    ledger,
    hotlist,
    inbox,
    upload(terminal, records) {
      batches += 1;
      const batchId = `00000000-0000-4000-8000-${batches.toString(16).padStart(12, '0')}`;
      const signed = signBatch({ batchId, terminal, createdAt: now().toISOString(), records: [...records] }, UPLOAD_KEYS.get(terminal)!);
      return receiveBatch({ db, clock: now }, terminal, signed as Parameters<typeof receiveBatch>[2]);
    },
    rows: () => inbox.byStatus('received', 1_000_000).concat(inbox.byStatus('cleared', 1_000_000), inbox.byStatus('exception', 1_000_000)).sort((a, b) => a.id - b.id),
    deps(tacs, overrides = {}) {
      return {
        db,
        ledger,
        tacs,
        hotlist: { hotlistClone: async (card) => void (await hotlist.listCard(card, 'revoked')) },
        clock: now,
        merchantOf: (t) => TERMINAL_MERCHANTS[t],
        defaultFeeBps: DEFAULT_FEE,
        ...overrides,
      };
    },
    close: () => db.close(),
  };
}

export interface ExceptionView {
  kind: string;
  subject: string;
  status: string;
  details: Record<string, unknown>;
  resolvedBy: string | null;
}

/** Every exception, by id, details parsed. */
export function exceptionsOf(db: Db): ExceptionView[] {
  return db
    .prepare<[], { kind: string; subject: string; status: string; details: string; resolved_by: string | null }>('SELECT * FROM clearing_exceptions ORDER BY id')
    .all()
    .map((r) => ({ kind: r.kind, subject: r.subject, status: r.status, details: JSON.parse(r.details) as Record<string, unknown>, resolvedBy: r.resolved_by }));
}

/** Open exceptions as `KIND subject`, sorted: the part that must not depend on clearing order. */
export function openExceptions(db: Db): string[] {
  return exceptionsOf(db)
    .filter((e) => e.status === 'open')
    .map((e) => `${e.kind} ${e.subject} ${JSON.stringify(e.details)}`)
    .sort();
}

/** Ledger entries as `key amount fee at merchant`, sorted. */
export function ledgerOf(db: Db): string[] {
  return db
    .prepare<[], { key: string; amount: number; fee: number; at: string; merchant_id: string | null }>('SELECT key, amount, fee, at, merchant_id FROM ledger_entries ORDER BY key')
    .all()
    .map((e) => `${e.key} ${e.amount} ${e.fee} ${e.at} ${e.merchant_id ?? '-'}`);
}

/** Inbox status per row id. */
export function statusesOf(db: Db): Record<number, string> {
  return Object.fromEntries(db.prepare<[], { id: number; status: string }>('SELECT id, status FROM upload_inbox ORDER BY id').all().map((r) => [r.id, r.status]));
}

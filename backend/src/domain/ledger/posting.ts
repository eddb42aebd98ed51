/**
 * Posting requests, their validation, and the journal lines each kind of posting makes. Pure:
 * no I/O. Lines carry signed integer fen, a debit positive and a credit negative, and the lines
 * of one posting always sum to zero.
 *
 * | kind        | debit                 | credit                                    |
 * |-------------|-----------------------|-------------------------------------------|
 * | load        | bank                  | float:card                                |
 * | purchase    | float:card (amount)   | payable:merchant (net), fees (fee)        |
 * | refund      | float:card            | bank                                      |
 * | transferOut | float:card            | transit                                   |
 * | transferIn  | transit               | float:card                                |
 * | transfer    | float:from            | float:to                                  |
 */
import { type Account, BANK_ACCOUNT, FEES_ACCOUNT, TRANSIT_ACCOUNT, floatAccount, payableAccount } from './accounts.js';
import { InvalidPostingError } from './errors.js';

/** Kinds a caller posts one card at a time. */
export type PostingKind = 'load' | 'purchase' | 'refund' | 'transferOut' | 'transferIn';
/** Kinds of stored entries: the posting kinds plus the one-entry card-to-card transfer. */
export type EntryKind = PostingKind | 'transfer';

/** Largest amount of one posting, fen: the card purse's range (unsigned 32 bits). */
export const MAX_POSTING_FEN = 0xffff_ffff;
/** Largest purchase fee, basis points (100 %). */
export const MAX_FEE_BPS = 10_000;
const MAX_KEY_LENGTH = 200;
const MAX_ID_LENGTH = 100;
const CARD_NUMBER = /^[0-9]{16}$/;
// Exactly Date.toISOString(): period bounds are compared as strings, so one spelling only.
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface PostingRequest {
  /** Idempotency key, 1-200 characters, e.g. `purchase:${card}:${counter}`. */
  readonly key: string;
  readonly kind: PostingKind;
  /** 16 decimal digits. */
  readonly cardNumber: string;
  /** Fen, 1 to MAX_POSTING_FEN. */
  readonly amount: number;
  /** Purchases only (required there), 1-100 characters. */
  readonly merchantId?: string | undefined;
  /** Purchases only: fee in basis points 0-10000, default 0; the fee is rounded down. */
  readonly feeBps?: number | undefined;
  /** The transaction's own time (not the posting time), exactly as Date.toISOString() writes it. */
  readonly at: string;
  /** Where the posting came from (e.g. an inbox id), 1-200 characters; not part of the content. */
  readonly ref?: string | undefined;
}

/** Moves float from one card to another in one entry (replacement cards). */
export interface CardTransferRequest {
  /** Idempotency key, 1-200 characters, e.g. `transfer:${transferId}`. */
  readonly key: string;
  readonly fromCardNumber: string;
  /** Another card than fromCardNumber. */
  readonly toCardNumber: string;
  /** Fen, 1 to MAX_POSTING_FEN. */
  readonly amount: number;
  readonly at: string;
  readonly ref?: string | undefined;
}

export interface PostResult {
  /** false: the key was already posted with the same content, nothing was written. */
  readonly posted: boolean;
  readonly entryId: number;
}

/** A validated posting as stored; the content is everything but key and ref. */
export interface Posting {
  readonly key: string;
  readonly kind: EntryKind;
  readonly cardNumber: string;
  readonly toCardNumber: string | null;
  readonly merchantId: string | null;
  readonly amount: number;
  readonly feeBps: number | null;
  readonly fee: number;
  readonly at: string;
  readonly ref: string | null;
}

export interface JournalLine {
  readonly account: Account;
  /** Signed fen: debit > 0, credit < 0, never 0. */
  readonly amount: number;
}

const POSTING_KINDS: ReadonlySet<string> = new Set<PostingKind>(['load', 'purchase', 'refund', 'transferOut', 'transferIn']);

/** The purchase fee: amount x feeBps / 10000, rounded down (1,999 fen at 60 bps: 11). */
export function feeOf(amount: number, feeBps: number): number {
  // amount < 2^32 and feeBps <= 10^4 keep the product below 2^46: exact in a double.
  return Math.floor((amount * feeBps) / 10_000);
}

/**
 * Validates a request and resolves its fee.
 * @throws InvalidPostingError when the key, kind, card number, amount (integer 1..MAX_POSTING_FEN),
 *   merchant (required for a purchase, refused otherwise), feeBps (integer 0..10000, purchases
 *   only), at (Date.toISOString() form) or ref (1-200 characters) is out of range.
 */
export function postingOf(req: PostingRequest): Posting {
  const key = checkKey(req.key);
  if (!POSTING_KINDS.has(req.kind)) throw new InvalidPostingError(key, `unknown kind ${String(req.kind)}`);
  checkCard(key, req.cardNumber);
  checkAmount(key, req.amount);
  checkAt(key, req.at);
  const ref = checkRef(key, req.ref);
  if (req.kind !== 'purchase') {
    if (req.merchantId !== undefined) throw new InvalidPostingError(key, 'only a purchase names a merchant');
    if (req.feeBps !== undefined) throw new InvalidPostingError(key, 'only a purchase has a fee');
    return { key, kind: req.kind, cardNumber: req.cardNumber, toCardNumber: null, merchantId: null, amount: req.amount, feeBps: null, fee: 0, at: req.at, ref };
  }
  const merchantId = req.merchantId;
  if (typeof merchantId !== 'string' || merchantId.length < 1 || merchantId.length > MAX_ID_LENGTH) {
    throw new InvalidPostingError(key, `a purchase names its merchant (1-${MAX_ID_LENGTH} characters)`);
  }
  const feeBps = req.feeBps ?? 0;
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > MAX_FEE_BPS) {
    throw new InvalidPostingError(key, `feeBps must be an integer of 0 to ${MAX_FEE_BPS}`);
  }
  return { key, kind: 'purchase', cardNumber: req.cardNumber, toCardNumber: null, merchantId, amount: req.amount, feeBps, fee: feeOf(req.amount, feeBps), at: req.at, ref };
}

/** Validates a card-to-card transfer. @throws InvalidPostingError as postingOf, and when both cards are one. */
export function transferPostingOf(req: CardTransferRequest): Posting {
  const key = checkKey(req.key);
  checkCard(key, req.fromCardNumber);
  checkCard(key, req.toCardNumber);
  if (req.fromCardNumber === req.toCardNumber) throw new InvalidPostingError(key, 'a transfer needs two different cards');
  checkAmount(key, req.amount);
  checkAt(key, req.at);
  const ref = checkRef(key, req.ref);
  return { key, kind: 'transfer', cardNumber: req.fromCardNumber, toCardNumber: req.toCardNumber, merchantId: null, amount: req.amount, feeBps: null, fee: 0, at: req.at, ref };
}

/** The lines of a validated posting; zero lines (no fee, or a 100 % fee's net) are left out. */
export function journalLinesOf(p: Posting): JournalLine[] {
  const card = floatAccount(p.cardNumber);
  switch (p.kind) {
    case 'load':
      return [{ account: BANK_ACCOUNT, amount: p.amount }, { account: card, amount: -p.amount }];
    case 'refund':
      return [{ account: card, amount: p.amount }, { account: BANK_ACCOUNT, amount: -p.amount }];
    case 'transferOut':
      return [{ account: card, amount: p.amount }, { account: TRANSIT_ACCOUNT, amount: -p.amount }];
    case 'transferIn':
      return [{ account: TRANSIT_ACCOUNT, amount: p.amount }, { account: card, amount: -p.amount }];
    case 'transfer':
      return [{ account: card, amount: p.amount }, { account: floatAccount(p.toCardNumber ?? ''), amount: -p.amount }];
    case 'purchase': {
      const lines: JournalLine[] = [{ account: card, amount: p.amount }];
      const net = p.amount - p.fee;
      if (net > 0) lines.push({ account: payableAccount(p.merchantId ?? ''), amount: -net });
      if (p.fee > 0) lines.push({ account: FEES_ACCOUNT, amount: -p.fee });
      return lines;
    }
  }
}

/** Names of the content fields in which two postings of one key differ (empty: the same posting). */
export function contentDifferences(stored: Posting, requested: Posting): string[] {
  const fields = ['kind', 'cardNumber', 'toCardNumber', 'merchantId', 'amount', 'feeBps', 'at'] as const;
  return fields.filter((f) => stored[f] !== requested[f]);
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length < 1 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidPostingError(String(key).slice(0, MAX_KEY_LENGTH), `the key must be 1-${MAX_KEY_LENGTH} characters`);
  }
  return key;
}

function checkCard(key: string, cardNumber: unknown): void {
  if (typeof cardNumber !== 'string' || !CARD_NUMBER.test(cardNumber)) throw new InvalidPostingError(key, 'a card number is 16 decimal digits');
}

function checkAmount(key: string, amount: unknown): void {
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_POSTING_FEN) {
    throw new InvalidPostingError(key, `the amount must be an integer of 1 to ${MAX_POSTING_FEN} fen`);
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether an ISO_MS_UTC string names a time that exists: what a Date round trip would keep. */
function existingTime(at: string): boolean {
  // Fixed positions: the pattern has matched. Cheaper than parsing into a Date and back.
  const year = +at.slice(0, 4);
  const month = +at.slice(5, 7);
  const day = +at.slice(8, 10);
  if (month < 1 || month > 12 || day < 1 || +at.slice(11, 13) > 23 || +at.slice(14, 16) > 59 || +at.slice(17, 19) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function checkAt(key: string, at: unknown): void {
  // The calendar check refuses dates that do not exist (2026-02-30) which the pattern lets through.
  if (typeof at !== 'string' || !ISO_MS_UTC.test(at) || !existingTime(at)) {
    throw new InvalidPostingError(key, 'at must be ISO-8601 UTC exactly as Date.toISOString() writes it');
  }
}

function checkRef(key: string, ref: unknown): string | null {
  if (ref === undefined) return null;
  if (typeof ref !== 'string' || ref.length < 1 || ref.length > MAX_KEY_LENGTH) {
    throw new InvalidPostingError(key, `ref must be 1-${MAX_KEY_LENGTH} characters`);
  }
  return ref;
}

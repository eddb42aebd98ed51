/**
 * Ledger account naming. Accounts are created on first use; their name says what they are:
 *
 * | name                 | type      | role     | holds                                        |
 * |----------------------|-----------|----------|----------------------------------------------|
 * | `float:<card>`       | liability | float    | what one card holds (its shadow balance)     |
 * | `payable:<merchant>` | liability | payable  | what is owed to one merchant                 |
 * | `fees`               | revenue   | fees     | purchase fees earned                         |
 * | `bank`               | asset     | bank     | cash and the clearing bank (loads, refunds)  |
 * | `transit`            | liability | transit  | float between a transferOut and its transferIn |
 */

export type AccountType = 'asset' | 'liability' | 'revenue';
export type AccountRole = 'float' | 'payable' | 'fees' | 'bank' | 'transit';

export interface Account {
  readonly name: string;
  readonly type: AccountType;
  readonly role: AccountRole;
  /** Float accounts only. */
  readonly cardNumber: string | null;
  /** Payable accounts only. */
  readonly merchantId: string | null;
}

export const FEES_ACCOUNT: Account = { name: 'fees', type: 'revenue', role: 'fees', cardNumber: null, merchantId: null };
export const BANK_ACCOUNT: Account = { name: 'bank', type: 'asset', role: 'bank', cardNumber: null, merchantId: null };
export const TRANSIT_ACCOUNT: Account = { name: 'transit', type: 'liability', role: 'transit', cardNumber: null, merchantId: null };

/** The cardholder float of one card (16 digits). */
export function floatAccount(cardNumber: string): Account {
  return { name: `float:${cardNumber}`, type: 'liability', role: 'float', cardNumber, merchantId: null };
}

/** What is owed to one merchant. */
export function payableAccount(merchantId: string): Account {
  return { name: `payable:${merchantId}`, type: 'liability', role: 'payable', cardNumber: null, merchantId };
}

/**
 * +1 for debit-normal accounts (assets), -1 for credit-normal ones (liabilities, revenue): a
 * line's signed amount (debit > 0) times this is its effect on the account's running balance.
 */
export function normalSign(type: AccountType): 1 | -1 {
  return type === 'asset' ? 1 : -1;
}

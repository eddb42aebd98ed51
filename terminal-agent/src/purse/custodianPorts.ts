/**
 * What the purse flows need from the key custodian (the HSM), declared here so the terminal does
 * not depend on hsm-sim: `LocalHsm` and `HsmClient` fit these shapes as they are. The load flow
 * needs a client of role `load` (MAC1 check, MAC2 issue, load TAC check); clearing (and tests)
 * check purchase TACs with a `clearing` client.
 *
 * Byte conventions as in the card interface: card numbers 8 bytes BCD, terminals 6 bytes, dates
 * 4 bytes BCD, times 3 bytes BCD, randoms 4 bytes, MACs and TACs 4 bytes.
 */

/** The card's INITIALIZE FOR LOAD answer and the host date and time, for MAC1 and MAC2. */
export interface LoadMac1Request {
  readonly cardNumber: Uint8Array;
  readonly keyVersion: number;
  readonly random: Uint8Array;
  /** Online counter before the load. */
  readonly onlineCounter: number;
  /** Balance before the load. */
  readonly balance: number;
  readonly amount: number;
  readonly terminal: Uint8Array;
  readonly date: Uint8Array;
  readonly time: Uint8Array;
  readonly mac1: Uint8Array;
}

/** MAC2 when the card's MAC1 verified; `{ ok: false }` when it did not. */
export type LoadAuthorizationAnswer = { readonly ok: true; readonly mac2: Buffer } | { readonly ok: false };

export interface LoadTacRequest {
  readonly cardNumber: Uint8Array;
  readonly keyVersion: number;
  readonly newBalance: number;
  /** Online counter before the load. */
  readonly onlineCounter: number;
  readonly amount: number;
  readonly terminal: Uint8Array;
  readonly date: Uint8Array;
  readonly time: Uint8Array;
  readonly tac: Uint8Array;
}

export interface PurchaseTacRequest {
  readonly cardNumber: Uint8Array;
  readonly keyVersion: number;
  readonly amount: number;
  readonly terminal: Uint8Array;
  readonly ttsn: number;
  readonly date: Uint8Array;
  readonly time: Uint8Array;
  readonly tac: Uint8Array;
}

/** The online-load side of the custodian. */
export interface PurseLoadCustodian {
  verifyLoadMac1AndIssueMac2(check: LoadMac1Request): Promise<LoadAuthorizationAnswer>;
  verifyLoadTac(check: LoadTacRequest): Promise<boolean>;
}

/** The clearing side of the custodian, for purchase records. */
export interface PurchaseTacVerifier {
  verifyPurchaseTac(check: PurchaseTacRequest): Promise<boolean>;
}

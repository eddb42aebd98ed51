/**
 * Records of the terminals area (plain data; timestamps ISO-8601 UTC).
 */

export const MERCHANT_CATEGORIES = ['transit', 'retail', 'food', 'public-service', 'library', 'parking', 'other'] as const;
export type MerchantCategory = (typeof MERCHANT_CATEGORIES)[number];

/** How a terminal is used: a transit gate, a point of sale, a citizen kiosk or a bureau station. */
export const TERMINAL_MODES = ['gate', 'pos', 'kiosk', 'bureau'] as const;
export type TerminalMode = (typeof TERMINAL_MODES)[number];

export interface Merchant {
  readonly id: string;
  readonly name: string;
  readonly category: MerchantCategory;
  readonly createdAt: string;
}

/** A terminal as shown to staff and to itself: never its credential hash. */
export interface Terminal {
  /** 12 decimal digits (the 6-byte BCD terminal number of the PSAM). */
  readonly terminalNumber: string;
  readonly merchantId: string;
  readonly mode: TerminalMode;
  readonly location: string;
  readonly disabled: boolean;
  readonly credentialIssuedAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Psam {
  readonly serial: string;
  readonly terminalNumber: string;
  readonly createdAt: string;
}

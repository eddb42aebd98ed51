/**
 * The logging the kiosk needs: pino-compatible `info`, `warn`, `error`. The kiosk logs what
 * happened (card identified, PIN refused, top-up done) with the card number masked to its last
 * four digits, never a PIN, a request body or a key.
 */
export interface KioskLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

/** `1000000000000001` → `••••0001`. */
export function maskCardNumberOf(cardNumber: string): string {
  return `••••${cardNumber.slice(-4)}`;
}

/**
 * The one logging capability the channel needs: a pino-compatible `trace`. APDU bytes are logged
 * at trace level only (house style item 11), and never with a PIN in them.
 */
export interface TraceLogger {
  trace(obj: Record<string, unknown>, msg?: string): void;
  /** pino's level check; when present and false for `trace`, the channel skips formatting. */
  isLevelEnabled?(level: string): boolean;
}

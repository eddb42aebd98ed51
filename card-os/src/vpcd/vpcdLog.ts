/**
 * Logging for the vpcd link. APDU bytes are logged only at trace level, and the data of commands
 * that carry PINs is masked even there: VERIFY (INS 20), CHANGE REFERENCE DATA (INS 24) and
 * RESET RETRY COUNTER (INS 2C) hold a PIN or PUK after the header.
 */
import { PIN_BEARING_INS, toHex } from '@citycard/protocols';

type LogFn = (obj: object, msg?: string) => void;

/** The part of a pino logger the link uses; `pino()` and its children fit it. */
export interface VpcdLogger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  isLevelEnabled?(level: string): boolean;
}

/** CLA INS P1 P2 Lc: what stays readable of a masked command. */
const HEADER_BYTES = 5;

/**
 * Hex of a command APDU for a trace log, with everything after `CLA INS P1 P2 Lc` replaced by a
 * byte count when INS is 20, 24 or 2C (whatever the CLA, so secure-messaging variants are masked too).
 */
export function describeCommandForLog(apdu: Uint8Array): string {
  const ins = apdu[1];
  if (ins !== undefined && PIN_BEARING_INS.has(ins) && apdu.length > HEADER_BYTES) {
    return `${toHex(apdu.subarray(0, HEADER_BYTES))} <${apdu.length - HEADER_BYTES} bytes masked>`;
  }
  return toHex(apdu);
}

/** Whether trace output would be written, so the hex is not built for nothing. */
export function traceEnabled(logger: VpcdLogger | undefined): logger is VpcdLogger {
  if (logger === undefined) return false;
  return logger.isLevelEnabled?.('trace') ?? true;
}

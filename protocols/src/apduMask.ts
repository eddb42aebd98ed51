/**
 * Masking of PIN-bearing command data, for audit trails and logs on both sides of the card
 * interface: VERIFY `20`, CHANGE REFERENCE DATA `24` and RESET RETRY COUNTER `2C` carry a PIN or
 * PUK after the header, whatever the CLA.
 */
import { parseCommandApdu } from './apdu.js';

/** INS of the commands whose data is a PIN or PUK. */
export const PIN_BEARING_INS: ReadonlySet<number> = new Set([0x20, 0x24, 0x2c]);

const MASK_BYTE = 0x2a;

/**
 * A copy of `apdu` safe to store and log: for INS 20, 24 and 2C every data byte is replaced by
 * `2A`. Other commands are copied unchanged. Never throws: an APDU that does not parse and has
 * a PIN-bearing INS is masked after its 4-byte header.
 */
export function maskCommandApdu(apdu: Uint8Array): { command: Buffer; masked: boolean } {
  const command = Buffer.from(apdu);
  if (command.length < 5 || !PIN_BEARING_INS.has(command[1]!)) return { command, masked: false };
  let start = 4;
  let end = command.length;
  try {
    const parsed = parseCommandApdu(command);
    if (parsed.data.length === 0) return { command, masked: false };
    start = 5;
    end = 5 + parsed.data.length;
  } catch {
    // Not a well-formed APDU: mask everything after the header rather than risk leaking a PIN.
  }
  command.fill(MASK_BYTE, start, end);
  return { command, masked: true };
}

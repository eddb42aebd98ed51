/** The terminal credential `TERMINAL.SECRET` (12-digit terminal number, a dot, 43 base64url characters). */

const CREDENTIAL = /^([0-9]{12})\.[A-Za-z0-9_-]{43}$/;

/**
 * The terminal number a credential belongs to.
 * @throws RangeError when the string is not a terminal credential (the message never repeats it).
 */
export function credentialTerminal(credential: string): string {
  const m = CREDENTIAL.exec(credential);
  if (m?.[1] === undefined) throw new RangeError('not a terminal credential: expected TERMINAL.SECRET (12 digits, a dot, 43 base64url characters)');
  return m[1];
}

// ISO 7064 MOD 11-2 weights for the 17 body digits of a PRC resident identity number (GB 11643).
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/**
 * Check character for the first 17 digits of a citizen ID.
 * @throws RangeError when body is not exactly 17 ASCII digits.
 */
export function citizenIdCheckChar(body: string): string {
  if (!/^\d{17}$/.test(body)) throw new RangeError('citizen ID body must be 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** Birth date embedded in an 18-character citizen ID as YYYY-MM-DD, or undefined if it is not a real date. */
export function citizenIdBirthDate(id: string): string | undefined {
  const m = /^\d{6}(\d{4})(\d{2})(\d{2})/.exec(id);
  if (m === null) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}`;
  const d = new Date(`${iso}T00:00:00Z`);
  // Date rolls 02-30 over into March; comparing back rejects such dates.
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso ? iso : undefined;
}

/** Why a citizen ID is malformed, or undefined when it is valid (uppercase X only). */
export function citizenIdProblem(id: string): string | undefined {
  if (!/^\d{17}[\dX]$/.test(id)) return 'must be 17 digits followed by a digit or X';
  if (citizenIdBirthDate(id) === undefined) return 'embedded birth date is not a valid date';
  if (citizenIdCheckChar(id.slice(0, 17)) !== id[17]) return 'check digit does not match (ISO 7064 MOD 11-2)';
  return undefined;
}

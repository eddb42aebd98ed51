import { AuditEntryError } from './errors.js';

// Key names that would carry secrets or personal data; details must name ids instead.
const FORBIDDEN_KEYS = new Set([
  'pin', 'puk', 'password', 'secret', 'key', 'privatekey', 'token',
  'name', 'fullname', 'phone', 'address', 'citizenid', 'birthdate', 'email', 'residencepermitno',
]);

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, so equal details always hash equally.
 * Object keys whose value is undefined are left out, as JSON.stringify does.
 * @throws AuditEntryError on a forbidden key (secrets, personal data), a non-finite number, an
 *   undefined array element or any value JSON cannot carry (functions, bigint, symbols, class instances).
 */
export function canonicalJson(value: unknown, path = 'details'): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AuditEntryError(`${path} is not a finite number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v: unknown, i) => {
      if (v === undefined) throw new AuditEntryError(`${path}[${i}] is undefined`);
      return canonicalJson(v, `${path}[${i}]`);
    }).join(',')}]`;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of Object.keys(obj).sort()) {
      if (obj[k] === undefined) continue;
      if (FORBIDDEN_KEYS.has(k.toLowerCase().replace(/[-_]/g, ''))) {
        throw new AuditEntryError(`${path}.${k} may hold a secret or personal data; record ids only`);
      }
      parts.push(`${JSON.stringify(k)}:${canonicalJson(obj[k], `${path}.${k}`)}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new AuditEntryError(`${path} is not a JSON value`);
}

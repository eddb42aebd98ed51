/**
 * Strict reading of a BER-TLV template whose children are a fixed set of primitive fields, each
 * present exactly once (the ID application's `E1` and `E2`). Shared by the card info and
 * cardholder codecs; not part of the package API.
 */
import { decodeSingleTlv } from '../tlv.js';
import { IdDataError } from './errors.js';

/**
 * Decode `bytes` as exactly one template `templateTag` whose children are exactly the tags of
 * `fields` (any order). Returns each field's value. Throws `TlvError` for malformed BER-TLV,
 * `IdDataError` for another template tag, a missing, repeated or unknown field.
 */
export function decodeTemplate<F extends string>(
  bytes: Uint8Array,
  templateTag: number,
  fields: Readonly<Record<F, number>>,
  what: string,
): Record<F, Buffer> {
  const template = decodeSingleTlv(bytes);
  if (template.tag !== templateTag) {
    throw new IdDataError(`${what}: expected template ${tagHex(templateTag)}, found ${tagHex(template.tag)}`);
  }
  const byTag = new Map<number, F>();
  for (const name of Object.keys(fields) as F[]) byTag.set(fields[name], name);
  const found = new Map<F, Buffer>();
  for (const child of template.children ?? []) {
    const name = byTag.get(child.tag);
    if (name === undefined) throw new IdDataError(`${what}: unexpected tag ${tagHex(child.tag)}`);
    if (found.has(name)) throw new IdDataError(`${what}: ${name} (${tagHex(child.tag)}) appears twice`, name);
    found.set(name, child.value);
  }
  const out = {} as Record<F, Buffer>;
  for (const name of Object.keys(fields) as F[]) {
    const value = found.get(name);
    if (value === undefined) throw new IdDataError(`${what}: ${name} (${tagHex(fields[name])}) is missing`, name);
    out[name] = value;
  }
  return out;
}

/**
 * Run a field decoder and turn whatever it throws into an `IdDataError` naming the field, with
 * the original error as `cause`.
 */
export function decodeField<T>(what: string, field: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof IdDataError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new IdDataError(`${what}: ${field}: ${reason}`, field, { cause: err });
  }
}

export function tagHex(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(2, '0');
}

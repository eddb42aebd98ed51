/**
 * Naming of persistent values in the PersistentStore. Everything an application owns lives under
 * its DF, named by AID in upper-case hex:
 *
 * ```
 * df/<AID>/ef/<FID>          EF content (4 hex digits): transparent bytes, or the records of a
 *                            record EF concatenated (cyclic: newest first)
 * df/<AID>/pin/<ref>         PIN/PUK reference value, 8 bytes (ref: 2 hex digits)
 * df/<AID>/pin/<ref>/tries   tries left, 1 byte
 * df/<AID>/key/<name>        key material (never leaves the card OS)
 * df/<AID>/<name>            any other value of the application (lifecycle, counters, ...)
 * ```
 * e.g. `df/F043495459494401/ef/0001`.
 */

/** Prefix of every value of the application `aidHex`. */
export function dfPrefix(aidHex: string): string {
  return `df/${aidHex}/`;
}

export function efKey(aidHex: string, fid: number): string {
  return `df/${aidHex}/ef/${hex(fid, 4)}`;
}

export function pinValueKey(aidHex: string, ref: number): string {
  return `df/${aidHex}/pin/${hex(ref, 2)}`;
}

export function pinTriesKey(aidHex: string, ref: number): string {
  return `df/${aidHex}/pin/${hex(ref, 2)}/tries`;
}

export function secretKeyKey(aidHex: string, name: string): string {
  return `df/${aidHex}/key/${name}`;
}

export function appValueKey(aidHex: string, name: string): string {
  return `df/${aidHex}/${name}`;
}

function hex(value: number, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}

/**
 * ISO 7816-4 status words the runtime answers with that the spec's §2 table does not list; the
 * terminal side's status tables expect them (protocols/src/commands).
 */

/** `6981` command incompatible with file structure (e.g. READ RECORD on a transparent EF). */
export const SW_INCOMPATIBLE_FILE = 0x6981;
/** `6986` command not allowed: no current EF. */
export const SW_NO_CURRENT_EF = 0x6986;
/** `6A88` referenced data (a PIN reference) not found. */
export const SW_REFERENCE_NOT_FOUND = 0x6a88;

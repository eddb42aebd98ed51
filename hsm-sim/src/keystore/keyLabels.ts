/** Labels of the keys the purse and personalization commands look up (card interface §4.1, §7). */

/** Purchase master key: card DPK, and the PSAM's own MPK. */
export const MPK = 'MPK';
/** Load master key: card DLK. Never leaves the HSM. */
export const MLK = 'MLK';
/** TAC master key: card DTK. Never leaves the HSM. */
export const MTK = 'MTK';
/** Application maintenance master key: card DAMK, and the PSAM's own MAMK. */
export const MAMK = 'MAMK';
/** Transport master key of blank cards (docs/personalization.md). */
export const MTRK = 'MTRK';
/** Label of the city CA signing key and of its certificate. */
export const CITY_CA = 'CITY-CA';

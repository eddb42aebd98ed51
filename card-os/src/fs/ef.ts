import type { RecordEf } from './recordEf.js';
import type { TransparentEf } from './transparentEf.js';

/** Any elementary file bound to the store. */
export type Ef = TransparentEf | RecordEf;

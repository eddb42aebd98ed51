/**
 * PSAM personalization under the test profile: the exact store keys and values the production path
 * must write too, one commit, and refusals.
 */
import { describe, expect, it } from 'vitest';
import { AlreadyPersonalizedError, MemoryStore, PersonalizationError, type PersistentStore } from '@citycard/card-os';
import { toHex } from '@citycard/protocols';
import { isPsamPersonalized } from '../../card-os/src/applications/psam/index.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';

const MPK_01_KEY = 'df/F04349545953414D/key/MPK/01';
const MPK_02_KEY = 'df/F04349545953414D/key/MPK/02';
const MAMK_KEY = 'df/F04349545953414D/key/MAMK';
const TERMINAL_KEY = 'df/F04349545953414D/ef/0016';
const TTSN_KEY = 'df/F04349545953414D/ttsn';
const LIFECYCLE_KEY = 'df/F04349545953414D/lifecycle';
const TEST_MPK = '11223344556677888877665544332211';
const TEST_MAMK = '445566778899AABBCCDDEEFF00112233';

/** A MemoryStore that counts its commits. */
class CountingStore extends MemoryStore {
  commits = 0;
  override commit(changes: ReadonlyMap<string, Uint8Array | null>): void {
    this.commits++;
    super.commit(changes);
  }
}

function dump(store: PersistentStore): Record<string, string> {
  return Object.fromEntries(store.keys().map((key) => [key, toHex(store.get(key)!)]));
}

describe('personalizePsamTestProfile', () => {
  it('writes terminal number, MPK 01, MAMK, TTSN 0 and lifecycle in one commit', () => {
    const store = new CountingStore();
    expect(isPsamPersonalized(store)).toBe(false);
    const terminal = personalizePsamTestProfile(store, { terminalNumber: '000000000001' });
    expect(toHex(terminal)).toBe('000000000001');
    expect(store.commits).toBe(1);
    expect(dump(store)).toEqual({
      [TERMINAL_KEY]: '000000000001',
      [MPK_01_KEY]: TEST_MPK,
      [MAMK_KEY]: TEST_MAMK,
      [TTSN_KEY]: '00000000',
      [LIFECYCLE_KEY]: '07',
    });
    expect(isPsamPersonalized(store)).toBe(true);
  });

  it('stores the MPK under each key version asked for', () => {
    const store = new MemoryStore();
    personalizePsamTestProfile(store, { terminalNumber: '123456789012', keyVersions: [1, 2] });
    expect(toHex(store.get(MPK_01_KEY)!)).toBe(TEST_MPK);
    expect(toHex(store.get(MPK_02_KEY)!)).toBe(TEST_MPK);
    expect(toHex(store.get(TERMINAL_KEY)!)).toBe('123456789012');
  });

  it('refuses an already personalized PSAM and changes nothing', () => {
    const store = new CountingStore();
    personalizePsamTestProfile(store, { terminalNumber: '000000000001' });
    store.commit(new Map([[TTSN_KEY, Buffer.from('00000105', 'hex')]]));
    const before = dump(store);
    expect(() => personalizePsamTestProfile(store, { terminalNumber: '000000000002' })).toThrow(AlreadyPersonalizedError);
    expect(dump(store)).toEqual(before);
    expect(store.commits).toBe(2);
  });

  it.each([
    ['11 digits', { terminalNumber: '00000000001' }],
    ['13 digits', { terminalNumber: '0000000000001' }],
    ['hex letters', { terminalNumber: '00000000000A' }],
    ['no key version', { terminalNumber: '000000000001', keyVersions: [] }],
    ['key version 0', { terminalNumber: '000000000001', keyVersions: [0] }],
    ['key version 256', { terminalNumber: '000000000001', keyVersions: [256] }],
    ['a repeated key version', { terminalNumber: '000000000001', keyVersions: [1, 1] }],
  ])('refuses %s with PersonalizationError and writes nothing', (_name, options) => {
    const store = new CountingStore();
    expect(() => personalizePsamTestProfile(store, options)).toThrow(PersonalizationError);
    expect(store.commits).toBe(0);
    expect(store.keys()).toEqual([]);
  });
});

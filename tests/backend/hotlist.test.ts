import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HotlistRepository } from '../../backend/src/data/hotlistRepository.js';
import { HOTLIST_SIGNING_KEY_FILE, SigningKeyFileError, loadOrCreateSigningKey } from '../../backend/src/data/hotlistSigningKey.js';
import { Hotlist, HotlistRuleError } from '../../backend/src/domain/hotlist/index.js';
import { EMPTY_HOTLIST, type HotlistState, applySignedHotlist, parseHotlistMessage } from '@citycard/protocols';
import { TEST_PUBLIC_KEY, TEST_SIGNING_KEY, fixedClock, hotlistDatabase } from './hotlistTestKit.js';

const CARD_A = '1000000000000001';
const CARD_B = '1000000000000002';
const CARD_C = '1000000000000003';

function setup(maxDeltaEntries?: number) {
  const db = hotlistDatabase();
  const clock = fixedClock('2026-11-23T12:00:00Z');
  const published: Buffer[] = [];
  const hotlist = new Hotlist({
    repository: new HotlistRepository(db),
    signingKey: TEST_SIGNING_KEY,
    publisher: { publish: async (m) => void published.push(m) },
    now: clock.now,
    ...(maxDeltaEntries === undefined ? {} : { maxDeltaEntries }),
  });
  return { db, hotlist, published, clock };
}

function kindOf(bytes: Buffer): string {
  return parseHotlistMessage(bytes).message.kind;
}

describe('Hotlist use cases', () => {
  it('gives every change the next version and stores reason and time', async () => {
    const { hotlist, db, clock } = setup();
    expect((await hotlist.listCard(CARD_A, 'lost')).version).toBe(1);
    clock.advance(1000);
    expect((await hotlist.listCard(CARD_B, 'revoked')).version).toBe(2);
    expect(await hotlist.delistCard(CARD_A)).toEqual({
      version: 3, cardNumber: CARD_A, action: 'remove', reason: 'found', createdAt: '2026-11-23T12:00:01.000Z',
    });
    expect(new HotlistRepository(db).entriesSince(0, 10).map((e) => [e.version, e.cardNumber, e.action, e.reason])).toEqual([
      [1, CARD_A, 'add', 'lost'],
      [2, CARD_B, 'add', 'revoked'],
      [3, CARD_A, 'remove', 'found'],
    ]);
    expect(hotlist.isListed(CARD_A)).toBe(false);
    expect(hotlist.isListed(CARD_B)).toBe(true);
  });

  it('keeps versions monotonic and the terminal set exact across many reports', async () => {
    const { hotlist } = setup();
    const expected = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const card = `10000000000${String(i % 97).padStart(5, '0')}`;
      if (expected.has(card) && i % 3 === 0) {
        await hotlist.delistCard(card);
        expected.delete(card);
      } else {
        await hotlist.listCard(card, 'lost');
        expected.add(card);
      }
    }
    let terminal: HotlistState = EMPTY_HOTLIST;
    // Catch up in steps, the way a terminal polls between reports.
    terminal = applySignedHotlist(terminal, hotlist.signedUpdate(0), TEST_PUBLIC_KEY);
    expect(terminal.cards).toEqual(expected);
    const version = terminal.version;
    await hotlist.listCard('1999999999999999', 'stolen');
    await hotlist.delistCard('1999999999999999');
    terminal = applySignedHotlist(terminal, hotlist.signedUpdate(version), TEST_PUBLIC_KEY);
    expect(terminal.version).toBe(version + 2);
    expect(terminal.cards).toEqual(expected);
  });

  it('answers a listed card reported again with the existing entry and no new version', async () => {
    const { hotlist, published } = setup();
    const first = await hotlist.listCard(CARD_A, 'lost');
    expect(await hotlist.listCard(CARD_A, 'stolen')).toEqual(first);
    expect(published).toHaveLength(1);
  });

  it('refuses to delist a card that is not listed, and bad input', async () => {
    const { hotlist } = setup();
    await expect(hotlist.delistCard(CARD_A)).rejects.toMatchObject({ reason: 'CARD_NOT_LISTED' });
    await expect(hotlist.listCard('12345', 'lost')).rejects.toBeInstanceOf(HotlistRuleError);
    await expect(hotlist.listCard(CARD_A, 'found' as 'lost')).rejects.toMatchObject({ reason: 'REASON_NOT_FOR_ACTION' });
    expect(() => hotlist.signedUpdate(-1)).toThrow(expect.objectContaining({ reason: 'INVALID_VERSION' }));
    expect(() => hotlist.signedUpdate(1.5)).toThrow(expect.objectContaining({ reason: 'INVALID_VERSION' }));
  });

  it('publishes each change as a signed one-entry delta a terminal applies in order', async () => {
    const { hotlist, published } = setup();
    await hotlist.listCard(CARD_A, 'lost');
    await hotlist.listCard(CARD_B, 'lost');
    await hotlist.delistCard(CARD_A);
    let terminal: HotlistState = EMPTY_HOTLIST;
    for (const message of published) terminal = applySignedHotlist(terminal, message, TEST_PUBLIC_KEY);
    expect(terminal).toEqual({ version: 3, cards: new Set([CARD_B]) });
  });

  it('keeps a committed entry when the push fails and reports the failure', async () => {
    const db = hotlistDatabase();
    const failures: number[] = [];
    const hotlist = new Hotlist({
      repository: new HotlistRepository(db),
      signingKey: TEST_SIGNING_KEY,
      publisher: { publish: async () => { throw new Error('redis down'); } },
      onPublishError: (_err, entry) => failures.push(entry.version),
    });
    await hotlist.listCard(CARD_A, 'lost');
    expect(failures).toEqual([1]);
    expect(hotlist.isListed(CARD_A)).toBe(true);
  });

  it('sends a snapshot to a new terminal, one too far behind, or one ahead; a delta otherwise', async () => {
    const { hotlist } = setup(2);
    await hotlist.listCard(CARD_A, 'lost');
    await hotlist.listCard(CARD_B, 'lost');
    await hotlist.listCard(CARD_C, 'lost');
    await hotlist.delistCard(CARD_B);
    expect(kindOf(hotlist.signedUpdate(0))).toBe('snapshot');
    expect(kindOf(hotlist.signedUpdate(1))).toBe('snapshot');
    expect(kindOf(hotlist.signedUpdate(2))).toBe('delta');
    expect(kindOf(hotlist.signedUpdate(9))).toBe('snapshot');
    const upToDate = parseHotlistMessage(hotlist.signedUpdate(4)).message;
    expect(upToDate).toMatchObject({ kind: 'delta', baseVersion: 4, version: 4, entries: [] });

    const stale = { version: 1, cards: new Set([CARD_A, '1000000000000099']) };
    expect(applySignedHotlist(stale, hotlist.signedUpdate(1), TEST_PUBLIC_KEY)).toEqual({ version: 4, cards: new Set([CARD_A, CARD_C]) });
    const ahead = { version: 9, cards: new Set([CARD_B]) };
    // A terminal ahead of a restored backend must accept the older snapshot from a fresh start.
    expect(() => applySignedHotlist(ahead, hotlist.signedUpdate(9), TEST_PUBLIC_KEY)).toThrow(
      expect.objectContaining({ reason: 'VERSION_REGRESSION' }),
    );
    expect(applySignedHotlist(EMPTY_HOTLIST, hotlist.signedUpdate(9), TEST_PUBLIC_KEY).cards).toEqual(new Set([CARD_A, CARD_C]));
  });
});

describe('signing key file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates the key once with mode 0600 and loads the same key afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citycard-hotlist-key-'));
    dirs.push(dir);
    const first = loadOrCreateSigningKey(dir, HOTLIST_SIGNING_KEY_FILE);
    const path = join(dir, HOTLIST_SIGNING_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = loadOrCreateSigningKey(dir, HOTLIST_SIGNING_KEY_FILE);
    expect(again.publicKey.equals(first.publicKey)).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('refuses a file that is not an Ed25519 key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citycard-hotlist-key-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'bad.pem'), 'not a key');
    expect(() => loadOrCreateSigningKey(dir, 'bad.pem')).toThrow(SigningKeyFileError);
  });
});

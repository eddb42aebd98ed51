/** The reader as the operator works it between cards (cli/issuance/operatorSlot.ts), over a scripted reader. */
import { describe, expect, it } from 'vitest';
import { CardAbsentError } from '@citycard/terminal-agent';
import { NoBlankCardError, OperatorSlot, type SlotReader } from '../../cli/issuance/operatorSlot.js';

const FIRST = { count: 3, done: 0, failed: 0, unreported: 0 };
const AFTER_ONE = { count: 3, done: 1, failed: 0, unreported: 0 };
const AFTER_A_FAILURE = { count: 3, done: 0, failed: 1, unreported: 0 };
const TIMEOUT_MS = 3000;

/** Answers isPresent from `presence` in turn (the last answer repeats); a card comes unless `noCard`. */
class ScriptedReader implements SlotReader {
  readonly waits: number[] = [];
  constructor(
    private readonly presence: boolean[],
    private readonly noCard = false,
  ) {}
  async isPresent(): Promise<boolean> {
    return this.presence.length > 1 ? this.presence.shift()! : this.presence[0]!;
  }
  async waitForCard(timeoutMs: number): Promise<Buffer> {
    this.waits.push(timeoutMs);
    if (this.noCard) throw new CardAbsentError(`no card in "slot" after ${timeoutMs} ms`);
    return Buffer.from('3B00', 'hex');
  }
}

function slot(reader: SlotReader, swapCards = true, timeoutMs = TIMEOUT_MS): { slot: OperatorSlot; said: string[] } {
  const said: string[] = [];
  return { slot: new OperatorSlot(reader, { swapCards, timeoutMs, say: (t) => said.push(t), pollMs: 1 }), said };
}

describe('OperatorSlot', () => {
  it('takes the card already in the reader for the first job without a prompt', async () => {
    const reader = new ScriptedReader([true]);
    const { slot: s, said } = slot(reader);
    await s.next(FIRST);
    expect(said).toEqual([]);
    expect(reader.waits).toEqual([TIMEOUT_MS]);
  });

  it('asks for a blank card when the reader is empty at the start', async () => {
    const { slot: s, said } = slot(new ScriptedReader([false]));
    await s.next(FIRST);
    expect(said).toEqual(['insert a blank card']);
  });

  it('between cards: take the card out, then insert the next one', async () => {
    const reader = new ScriptedReader([true, true, true, false]);
    const { slot: s, said } = slot(reader);
    await s.next(AFTER_ONE);
    expect(said).toEqual(['take the card out', 'insert the next blank card']);
    expect(reader.waits).toEqual([TIMEOUT_MS]);
  });

  it('a card that already left (pulled mid-card) is not asked out again', async () => {
    const { slot: s, said } = slot(new ScriptedReader([false]));
    await s.next(AFTER_A_FAILURE);
    expect(said).toEqual(['insert the next blank card']);
  });

  it('with a feeder (no swapping), goes on with the card in the reader', async () => {
    const reader = new ScriptedReader([true]);
    const { slot: s, said } = slot(reader, false);
    await s.next(AFTER_ONE);
    expect(said).toEqual([]);
    expect(reader.waits).toEqual([TIMEOUT_MS]);
  });

  it('gives up with NoBlankCardError when no card comes in time', async () => {
    const { slot: s } = slot(new ScriptedReader([false], true));
    const err = await s.next(AFTER_ONE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoBlankCardError);
    expect((err as Error).message).toBe('no blank card within 3 s');
    expect((err as Error).cause).toBeInstanceOf(CardAbsentError);
  });

  it('gives up with NoBlankCardError when the finished card is not taken out in time', async () => {
    const { slot: s, said } = slot(new ScriptedReader([true]), true, 1);
    const err = await s.next(AFTER_ONE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoBlankCardError);
    expect((err as Error).message).toBe('the card was not taken out within 0.001 s');
    expect(said).toEqual(['take the card out']);
  });
});

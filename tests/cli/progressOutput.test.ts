/** What the operator reads from `bureau issue-batch` (cli/issuance/progressOutput.ts), on a terminal and in a log. */
import { describe, expect, it } from 'vitest';
import { fromHex } from '@citycard/protocols';
import { IssuanceQueueError, type IssuanceOutcome } from '@citycard/terminal-agent';
import { ProgressOutput, outcomeLine } from '../../cli/issuance/progressOutput.js';

const JOB_ID = '8def84ed-64fa-4624-af72-ce7c0517ae19';
const CARD_NUMBER = '1000000000000004';
const CSN = fromHex('B7D97A9AE8D10426');
const CLEAR_LINE = '\r\x1b[K';

class Captured {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('ProgressOutput', () => {
  it('writes every line and every bar as a line of its own when stderr is not a terminal', () => {
    const stream = new Captured(false);
    const out = new ProgressOutput(stream);
    out.progress({ count: 2, done: 0, failed: 0, unreported: 0 });
    out.line('insert a blank card');
    out.progress({ count: 2, done: 1, failed: 0, unreported: 0 });
    out.close();
    out.line('1 done');
    expect(stream.text).toBe(
      'bureau: [..............................] 0/2  done 0  failed 0\n' +
        'bureau: insert a blank card\n' +
        'bureau: [###############...............] 1/2  done 1  failed 0\n' +
        'bureau: 1 done\n',
    );
  });

  it('keeps the bar on the last line of a terminal, lines above it, and ends its line on close', () => {
    const stream = new Captured(true);
    const out = new ProgressOutput(stream);
    out.line('starting');
    out.progress({ count: 1, done: 0, failed: 0, unreported: 0 });
    out.line('insert a blank card');
    out.progress({ count: 1, done: 1, failed: 0, unreported: 0 });
    out.close();
    out.line('1 done');
    const empty = '[..............................] 0/1  done 0  failed 0';
    const full = '[##############################] 1/1  done 1  failed 0';
    expect(stream.text).toBe(
      'bureau: starting\n' +
        `${CLEAR_LINE}${empty}` +
        `${CLEAR_LINE}bureau: insert a blank card\n${empty}` +
        `${CLEAR_LINE}${full}\n` +
        'bureau: 1 done\n',
    );
  });
});

describe('outcomeLine', () => {
  const failure = { step: 'GENERATE KEY PAIR', reason: 'CardRemovedError: card left', retryable: true };

  it('names a card done by number, CSN and job', () => {
    const done: IssuanceOutcome = { kind: 'done', jobId: JOB_ID, cardNumber: CARD_NUMBER, csn: CSN };
    expect(outcomeLine(done)).toBe(`card ${CARD_NUMBER} done (CSN B7D97A9AE8D10426, job ${JOB_ID})`);
  });

  it('names a failed card by the number it was to get, the step, the cause and what became of the job', () => {
    expect(outcomeLine({ kind: 'failed', jobId: JOB_ID, cardNumber: CARD_NUMBER, failure })).toBe(
      `card ${CARD_NUMBER} failed at GENERATE KEY PAIR: CardRemovedError: card left; job ${JOB_ID} reported for a retry`,
    );
    expect(outcomeLine({ kind: 'failed', jobId: JOB_ID, cardNumber: CARD_NUMBER, failure: { ...failure, retryable: false } })).toBe(
      `card ${CARD_NUMBER} failed at GENERATE KEY PAIR: CardRemovedError: card left; job ${JOB_ID} reported as failed for good (retrying cannot help)`,
    );
    const lost = new IssuanceQueueError('the backend cannot be reached: fetch failed', 0, undefined);
    expect(outcomeLine({ kind: 'failed', jobId: JOB_ID, cardNumber: CARD_NUMBER, failure, reportError: lost })).toBe(
      `card ${CARD_NUMBER} failed at GENERATE KEY PAIR: CardRemovedError: card left; the backend was not told (the backend cannot be reached: fetch failed); job ${JOB_ID} returns to the queue when its lease runs out`,
    );
  });

  it('tells the operator to set aside a card personalized but not registered', () => {
    const error = new IssuanceQueueError('the backend refused it', 422, 'ISSUANCE_REPORT_INVALID');
    expect(outcomeLine({ kind: 'unreported', jobId: JOB_ID, cardNumber: CARD_NUMBER, csn: CSN, error })).toBe(
      `card ${CARD_NUMBER} is personalized (CSN B7D97A9AE8D10426) but the backend was not told (the backend refused it): set it aside; job ${JOB_ID} returns to the queue when its lease runs out`,
    );
  });
});

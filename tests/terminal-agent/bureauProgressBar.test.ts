/** The station's plain-text progress bar (cli/issuance/progressBar.ts). */
import { describe, expect, it } from 'vitest';
import { renderProgressBar } from '../../cli/issuance/progressBar.js';

describe('renderProgressBar', () => {
  it('starts empty', () => {
    expect(renderProgressBar({ count: 20, done: 0, failed: 0, unreported: 0 }, 10)).toBe('[..........]  0/20  done 0  failed 0');
  });
  it('fills by finished cards, done or not, and names cards set aside', () => {
    expect(renderProgressBar({ count: 20, done: 6, failed: 1, unreported: 1 }, 20)).toBe('[########............]  8/20  done 6  failed 1  unreported 1');
  });
  it('is full at the end and never overflows', () => {
    expect(renderProgressBar({ count: 3, done: 3, failed: 1, unreported: 0 }, 10)).toBe('[##########] 3/3  done 3  failed 1');
  });
  it('keeps the width within 10-100', () => {
    expect(renderProgressBar({ count: 1, done: 1, failed: 0, unreported: 0 }, 2)).toBe('[##########] 1/1  done 1  failed 0');
  });
});

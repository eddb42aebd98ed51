/**
 * In-process card OS throughput: SELECT of the ID application alternating with READ BINARY of
 * card info (SFI 01), straight into `VirtualCard.transmit`, on the one thread of this process.
 */
import { fromHex } from '@citycard/protocols';
import type { BenchSection } from '../report.js';
import { createBenchCard } from './cardFixture.js';

const SELECT_ID = fromHex('00A4040008F04349545949440100');
const READ_CARD_INFO = fromHex('00B0810020');
const TARGET_PER_SECOND = 200_000;

export async function benchApduInProcess(): Promise<BenchSection> {
  const { card, dispose } = createBenchCard();
  try {
    card.powerOn();
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const rsp = card.transmit(i % 2 === 0 ? SELECT_ID : READ_CARD_INFO);
        if (rsp[rsp.length - 2] !== 0x90) throw new Error('unexpected status word');
      }
    };
    run(50_000); // warm-up: let the JIT settle
    const rates: number[] = [];
    for (let round = 0; round < 5; round++) {
      const n = 400_000;
      const start = process.hrtime.bigint();
      run(n);
      rates.push(n / (Number(process.hrtime.bigint() - start) / 1e9));
    }
    rates.sort((a, b) => a - b);
    const median = rates[2]!;
    return {
      title: 'Card OS in process (issue 2)',
      method:
        'SELECT ID application and READ BINARY SFI 01 alternating, straight into `VirtualCard.transmit` on one thread ' +
        '(one core); 5 rounds of 400,000 APDUs after a 50,000-APDU warm-up, median round reported.',
      rows: [
        {
          metric: 'Simple APDUs per second (one core)',
          value: Math.round(median).toLocaleString('en-US'),
          target: `≥ ${TARGET_PER_SECOND.toLocaleString('en-US')}`,
          met: median >= TARGET_PER_SECOND,
        },
        { metric: 'Slowest / fastest round', value: `${Math.round(rates[0]!).toLocaleString('en-US')} / ${Math.round(rates[4]!).toLocaleString('en-US')}`, target: '' },
      ],
    };
  } finally {
    dispose();
  }
}

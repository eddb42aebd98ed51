/**
 * Child process of the issuance benchmark: one blank citizen card in a vpcd slot that can be made
 * blank again, as a card feeder puts the next blank card in the reader. Started with tsx's loader:
 *
 *   node --import tsx issuanceBlankCard.ts <port>
 *
 * Prints `ready` once vpcd has the card. Each stdin line `blank <CSN hex>` replaces the card with a
 * new blank one (test transport key) and answers `blank <CSN hex>`. Exits on stdin end or SIGTERM.
 */
import { createInterface } from 'node:readline';
import { MemoryStore, ManagedCard, type SmartCard, TEST_MTRK, VpcdAdapter, epApplication, idApplication, manufactureBlankCard, transportKeyFor } from '@citycard/card-os';

/** The card in the slot now; swapping it is a card change pcscd sees at the next power-on. */
class FeederSlot implements SmartCard {
  #card: ManagedCard;
  constructor(csn: Buffer) {
    this.#card = FeederSlot.blank(csn);
  }
  static blank(csn: Buffer): ManagedCard {
    const store = new MemoryStore();
    manufactureBlankCard(store, { profile: 'card', csn, transportKey: transportKeyFor(TEST_MTRK, csn) });
    return new ManagedCard({ store, applications: [idApplication, epApplication] });
  }
  swap(csn: Buffer): void {
    this.#card = FeederSlot.blank(csn);
  }
  get atr(): Buffer {
    return this.#card.atr;
  }
  powerOn(): Buffer {
    return this.#card.powerOn();
  }
  powerOff(): void {
    this.#card.powerOff();
  }
  reset(): Buffer {
    return this.#card.reset();
  }
  transmit(command: Uint8Array): Buffer {
    return this.#card.transmit(command);
  }
}

const port = Number(process.argv[2]);
const slot = new FeederSlot(Buffer.from('FEED000000000000', 'hex'));
const adapter = new VpcdAdapter(slot, { port });
adapter.start();
await adapter.waitForConnection();
process.stdout.write('ready\n');
const stop = async (): Promise<void> => {
  await adapter.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const m = /^blank ([0-9A-Fa-f]{16})$/.exec(line.trim());
  if (m === null) {
    process.stdout.write(`error ${line.slice(0, 40)}\n`);
    return;
  }
  slot.swap(Buffer.from(m[1]!, 'hex'));
  process.stdout.write(`blank ${m[1]!.toUpperCase()}\n`);
});
lines.on('close', () => void stop());

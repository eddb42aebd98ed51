/**
 * Power cuts at every APDU boundary of a citizen card's personalization: the card loses power
 * after the station got the k-th answer, comes back from its memory, and must be a blank card a
 * new run personalizes from the start, into a card that authenticates. A cut that loses END
 * PERSONALIZATION's answer leaves a complete card (which then refuses a second run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_TYPE, fromHex } from '@citycard/protocols';
import { MemoryStore, idApplication, type PersistentStore } from '@citycard/card-os';
import { ApduChannel, BusinessRuleError, CardRemovedError, type CardTransport, IdentitySession, InProcessAdapter } from '@citycard/terminal-agent';
import { epApplication } from '../../card-os/src/applications/ep/index.js';
import { ManagedCard, TEST_MTRK, cardLifecycle, manufactureBlankCard, transportKeyFor } from '../../card-os/src/personalization/secure/index.js';
import { PersonalizationFailedError, personalizeCard, type CardOrder } from '../../terminal-agent/src/personalization/index.js';
import { FIXED_TIME, type TestHsm, makeTestHsm } from '../hsm-sim/fixtures.js';

const CSN = fromHex('CAFE000000000003');
const ORDER: CardOrder = {
  cardInfo: { cardNumber: '1000000000000003', effectiveDate: '20261123', expiryDate: '20361122', cardType: CARD_TYPE.student, issuerId: '0000000000000001' },
  cardholder: { name: 'Test Student', citizenId: '110101200801011234', dateOfBirth: '20080101', residency: 'temporary' },
  purse: { maxBalance: 50_000, maxSinglePurchase: 20_000 },
};
const AFTER_ISSUE = new Date(FIXED_TIME.getTime() + 3600 * 1000);

/** The card's memory survives power cuts; the card object (its volatile state) does not. */
function cardOn(store: PersistentStore): InProcessAdapter {
  return new InProcessAdapter(new ManagedCard({ store, applications: [idApplication, epApplication] }), 'citizen card');
}

/** Passes `answered` commands through; then the card loses power before (or, with `loseAnswer`, right after) the next one. */
class PowerCut implements CardTransport {
  readonly name = 'power cut';
  #count = 0;

  constructor(
    private readonly slot: InProcessAdapter,
    private readonly answered: number,
    private readonly loseAnswer = false,
  ) {}

  powerOn(): Promise<Buffer> {
    return this.slot.powerOn();
  }

  async transmit(command: Uint8Array): Promise<Buffer> {
    if (++this.#count <= this.answered) return this.slot.transmit(command);
    if (this.loseAnswer) await this.slot.transmit(command);
    this.slot.remove();
    return this.slot.transmit(command);
  }

  isPresent(): Promise<boolean> {
    return this.slot.isPresent();
  }

  close(): Promise<void> {
    return this.slot.close();
  }
}

async function authenticates(slot: InProcessAdapter, ca: Buffer): Promise<void> {
  await slot.powerOn();
  const id = new IdentitySession(new ApduChannel(slot), { caCertificate: ca, clock: () => AFTER_ISSUE });
  expect((await id.authenticate()).cardInfo.cardNumber).toBe(ORDER.cardInfo.cardNumber);
  await id.verifyPin('123456');
}

let hsm: TestHsm;
let ca: Buffer;
let commands: number;

beforeAll(async () => {
  hsm = makeTestHsm();
  ca = await hsm.as('bureau').caCertificate();
  const store = new MemoryStore();
  manufactureBlankCard(store, { profile: 'card', csn: CSN, transportKey: transportKeyFor(TEST_MTRK, CSN) });
  commands = (await personalizeCard(cardOn(store), hsm.as('bureau'), ORDER)).trail.length;
});
afterAll(() => hsm.dispose());

describe('power cuts during personalization', () => {
  it('at every APDU boundary leave a blank card that a new run personalizes', async () => {
    expect(commands).toBeGreaterThanOrEqual(16);
    for (let answered = 0; answered < commands; answered++) {
      const store = new MemoryStore();
      manufactureBlankCard(store, { profile: 'card', csn: CSN, transportKey: transportKeyFor(TEST_MTRK, CSN) });
      const failed = await personalizeCard(new PowerCut(cardOn(store), answered), hsm.as('bureau'), ORDER).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed, `cut after ${answered} answers`).toBeInstanceOf(PersonalizationFailedError);
      expect((failed as PersonalizationFailedError).cause, `cut after ${answered} answers`).toBeInstanceOf(CardRemovedError);
      expect(hsm.core.context.sessions.size).toBe(0);
      expect(cardLifecycle(store), `cut after ${answered} answers`).toBe('blank');

      const slot = cardOn(store);
      await personalizeCard(slot, hsm.as('bureau'), ORDER);
      await authenticates(slot, ca);
    }
  });

  it('that loses END PERSONALIZATION\'s answer leave a complete card, which refuses a second run', async () => {
    const store = new MemoryStore();
    manufactureBlankCard(store, { profile: 'card', csn: CSN, transportKey: transportKeyFor(TEST_MTRK, CSN) });
    const failed = await personalizeCard(new PowerCut(cardOn(store), commands - 1, true), hsm.as('bureau'), ORDER).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((failed as PersonalizationFailedError).step).toBe('END PERSONALIZATION');
    expect(cardLifecycle(store)).toBe('personalized');
    const slot = cardOn(store);
    const again = await personalizeCard(slot, hsm.as('bureau'), ORDER).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(((again as PersonalizationFailedError).cause as BusinessRuleError).reason).toBe('CARD_NOT_BLANK');
    await authenticates(slot, ca);
  });
});

/**
 * The personalization station end to end: a blank card (card-os `ManagedCard`) in an in-process
 * slot, a test-profile HSM in a temporary directory (`LocalHsm`, bureau role), and the station
 * relaying between them. The personalized card then authenticates against the HSM's city CA,
 * takes the test PIN, and its purse keys are the HSM's (a load's MAC1 verifies there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CARD_TYPE,
  type CardInfo,
  fromHex,
  getBalanceCommand,
  initializeForLoadCommand,
  readPsamTerminalNumberCommand,
  selectEpCommand,
  selectPsamCommand,
  toHex,
} from '@citycard/protocols';
import { MemoryStore, idApplication, type PersistentStore } from '@citycard/card-os';
import {
  ApduChannel,
  BusinessRuleError,
  CardProtocolError,
  type CardTransport,
  CryptoError,
  IdentitySession,
  InProcessAdapter,
} from '@citycard/terminal-agent';
import { epApplication } from '../../card-os/src/applications/ep/index.js';
import { psamApplication } from '../../card-os/src/applications/psam/index.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';
import { ManagedCard, TEST_MTRK, manufactureBlankCard, transportKeyFor, type CardProfileKind } from '../../card-os/src/personalization/secure/index.js';
import {
  PersonalizationFailedError,
  personalizeCard,
  personalizePsam,
  type CardOrder,
} from '../../terminal-agent/src/personalization/index.js';
import { FIXED_TIME, type TestHsm, countingRandom, makeTestHsm } from '../hsm-sim/fixtures.js';

const CSN = fromHex('CAFE000000000001');
const RC = fromHex('A0A1A2A3A4A5A6A7');
// The first session of a fresh HSM with the counting random source, and a card whose random is RC.
const INITIALIZE_CMD = fromHex('801A000008 1112131415161718 00');
const INITIALIZE_RSP = fromHex('CAFE000000000001 A0A1A2A3A4A5A6A7 3971BDE2A2D93C62 9000');
const EXTERNAL_AUTHENTICATE_CMD = fromHex('8482000010 C8F3A9E4852E7368 4617FED5C1D00CBF');
const PUT_KEY_DPK_CMD = fromHex('84D8010120 6719E39FBA888420912B42A9F9EA46C340E03B7143DA1677 BFF054F0E8065A6A');
const SW_9000 = fromHex('9000');
const TERMINAL = fromHex('000000000001');

const CARD_INFO: CardInfo = {
  cardNumber: '1000000000000001',
  effectiveDate: '20261123',
  expiryDate: '20361122',
  cardType: CARD_TYPE.adult,
  issuerId: '0000000000000001',
};
const CARDHOLDER = { name: '张三', citizenId: '11010519491231002X', dateOfBirth: '19491231', residency: 'permanent' } as const;
const ORDER: CardOrder = { cardInfo: CARD_INFO, cardholder: CARDHOLDER, purse: { maxBalance: 100_000, maxSinglePurchase: 50_000 } };
const AFTER_ISSUE = new Date(FIXED_TIME.getTime() + 24 * 3600 * 1000);

/** The command names a citizen card personalization sends, in order (the certificate in `chunks`). */
function expectedNames(chunks: number): string[] {
  return [
    'INITIALIZE PERSONALIZATION',
    'EXTERNAL AUTHENTICATE',
    ...Array<string>(4).fill('PUT KEY'),
    ...Array<string>(6).fill('STORE DATA'),
    'GENERATE KEY PAIR',
    ...Array<string>(chunks).fill('STORE DATA'),
    'END PERSONALIZATION',
  ];
}

interface Slot {
  readonly store: PersistentStore;
  readonly card: ManagedCard;
  readonly transport: InProcessAdapter;
}

function blankSlot(profile: CardProfileKind = 'card', mtrk: Uint8Array = TEST_MTRK): Slot {
  const store = new MemoryStore();
  manufactureBlankCard(store, { profile, csn: CSN, transportKey: transportKeyFor(mtrk, CSN) });
  const applications = profile === 'card' ? [idApplication, epApplication] : [psamApplication];
  const card = new ManagedCard({ store, applications, random: (length) => Buffer.from(RC.subarray(0, length)) });
  return { store, card, transport: new InProcessAdapter(card, profile) };
}

function snapshot(store: PersistentStore): Record<string, string> {
  return Object.fromEntries(store.keys().map((key) => [key, toHex(store.get(key)!)]));
}

/** A transport that lets a test change the n-th command (1-based) before it reaches the card. */
class MeddlingTransport implements CardTransport {
  readonly name = 'meddling';
  sent = 0;
  #held: Buffer | undefined;

  constructor(
    private readonly inner: CardTransport,
    private readonly meddle: (n: number, apdu: Buffer, previous: Buffer | undefined) => Buffer | 'hold' | undefined,
  ) {}

  #previous: Buffer | undefined;

  powerOn(): Promise<Buffer> {
    return this.inner.powerOn();
  }

  async transmit(command: Uint8Array): Promise<Buffer> {
    this.sent++;
    const apdu = Buffer.from(command);
    const change = this.meddle(this.sent, apdu, this.#previous);
    this.#previous = apdu;
    if (change === 'hold') {
      // Pretend the card took it; it goes to the card after the next command.
      this.#held = apdu;
      return Buffer.from(SW_9000);
    }
    const answer = await this.inner.transmit(change ?? apdu);
    if (this.#held !== undefined) {
      const held = this.#held;
      this.#held = undefined;
      await this.inner.transmit(held);
    }
    return answer;
  }

  isPresent(): Promise<boolean> {
    return this.inner.isPresent();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

async function expectFailure(run: Promise<unknown>, step: string): Promise<PersonalizationFailedError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PersonalizationFailedError);
  const failed = err as PersonalizationFailedError;
  expect(failed.step).toBe(step);
  return failed;
}

describe('the station, byte for byte', () => {
  let hsm: TestHsm;
  beforeAll(() => {
    hsm = makeTestHsm({ random: countingRandom() });
  });
  afterAll(() => hsm.dispose());

  it('relays the bytes the HSM and the card compute independently, and returns the certificate the card holds', async () => {
    const slot = blankSlot();
    const result = await personalizeCard(slot.transport, hsm.as('bureau'), ORDER, { clock: () => FIXED_TIME });
    const trail = result.trail;
    expect(toHex(trail[0]!.command)).toBe(toHex(INITIALIZE_CMD));
    expect(toHex(trail[0]!.response!)).toBe(toHex(INITIALIZE_RSP));
    expect(toHex(trail[1]!.command)).toBe(toHex(EXTERNAL_AUTHENTICATE_CMD));
    expect(toHex(trail[2]!.command)).toBe(toHex(PUT_KEY_DPK_CMD));
    const chunks = Math.ceil(result.certificate.length / 235);
    expect(trail.map((entry) => entry.name)).toEqual(expectedNames(chunks));
    for (const entry of trail.filter((e) => e.name !== 'GENERATE KEY PAIR' && e.name !== 'INITIALIZE PERSONALIZATION')) {
      expect(toHex(entry.response!), entry.name).toBe('9000');
    }
    expect(trail.find((e) => e.name === 'GENERATE KEY PAIR')!.response!.length).toBe(258);
    expect(result.cardNumber).toBe(CARD_INFO.cardNumber);
    expect(toHex(result.csn)).toBe(toHex(CSN));
    expect(toHex(slot.store.get('df/F043495459494401/ef/0003')!)).toBe(toHex(result.certificate));
    expect(slot.card.lifecycle).toBe('personalized');
    expect(hsm.core.context.sessions.size).toBe(0);
  });
});

describe('the station', () => {
  let hsm: TestHsm;
  beforeAll(() => {
    hsm = makeTestHsm();
  });
  afterAll(() => hsm.dispose());

  it('makes a card that authenticates against the HSM city CA, takes the test PIN, and whose purse keys are the HSM\'s', async () => {
    const slot = blankSlot();
    const bureau = hsm.as('bureau');
    await personalizeCard(slot.transport, bureau, ORDER);

    await slot.transport.powerOn();
    const channel = new ApduChannel(slot.transport);
    const id = new IdentitySession(channel, { caCertificate: await bureau.caCertificate(), clock: () => AFTER_ISSUE });
    const authenticated = await id.authenticate();
    expect(authenticated.cardInfo).toEqual(CARD_INFO);
    expect(authenticated.certificate.subject).toContain(CARD_INFO.cardNumber);
    await id.verifyPin('123456');
    expect(await id.readCardholder()).toEqual(CARDHOLDER);

    const purse = await channel.send(selectEpCommand());
    expect(purse.issuerData?.cardNumber).toBe(CARD_INFO.cardNumber);
    expect(await channel.send(getBalanceCommand())).toBe(0);
    const init = await channel.send(initializeForLoadCommand({ amount: 5000, terminal: TERMINAL }));
    const verdict = await hsm.as('load').verifyLoadMac1AndIssueMac2({
      cardNumber: fromHex(CARD_INFO.cardNumber),
      keyVersion: init.keyVersion,
      random: init.random,
      onlineCounter: init.onlineCounter,
      balance: init.balance,
      amount: 5000,
      terminal: TERMINAL,
      date: fromHex('20261124'),
      time: fromHex('093000'),
      mac1: init.mac1,
    });
    expect(verdict.ok).toBe(true);
  });

  it('stops at a command whose C-MAC was changed on the way (6982), leaves the card blank and a later run succeeds', async () => {
    const slot = blankSlot();
    const before = snapshot(slot.store);
    const flip = new MeddlingTransport(slot.transport, (n, apdu) => {
      if (n !== 4) return undefined;
      const forged = Buffer.from(apdu);
      forged[forged.length - 1]! ^= 0x01;
      return forged;
    });
    const failed = await expectFailure(personalizeCard(flip, hsm.as('bureau'), ORDER), 'PUT KEY DLK');
    expect(failed.cause).toBeInstanceOf(CardProtocolError);
    expect((failed.cause as CardProtocolError).sw).toBe(0x6982);
    expect(failed.trail.map((e) => e.name)).toEqual(expectedNames(0).slice(0, 4));
    expect(hsm.core.context.sessions.size).toBe(0);
    expect(slot.card.lifecycle).toBe('blank');
    // What the interrupted session wrote (DPK) goes when the next session authenticates.
    expect(Object.keys(snapshot(slot.store))).toEqual([...Object.keys(before), 'df/F043495459455001/key/DPK'].sort());

    await personalizeCard(slot.transport, hsm.as('bureau'), ORDER);
    expect(slot.card.lifecycle).toBe('personalized');
  });

  it('stops at a replayed command (6982)', async () => {
    const slot = blankSlot();
    const replay = new MeddlingTransport(slot.transport, (n, _apdu, previous) => (n === 5 ? previous : undefined));
    const failed = await expectFailure(personalizeCard(replay, hsm.as('bureau'), ORDER), 'PUT KEY DTK');
    expect((failed.cause as CardProtocolError).sw).toBe(0x6982);
    expect(slot.card.lifecycle).toBe('blank');
  });

  it('stops at commands that reach the card in another order (6982): the PUK before the PIN', async () => {
    const slot = blankSlot();
    // Command 7 is the PIN's STORE DATA, 8 the PUK's: the PIN is held back until after the PUK.
    const swap = new MeddlingTransport(slot.transport, (n) => (n === 7 ? 'hold' : undefined));
    const failed = await expectFailure(personalizeCard(swap, hsm.as('bureau'), ORDER), 'STORE DATA PIN and PUK');
    expect((failed.cause as CardProtocolError).sw).toBe(0x6982);
    expect(slot.store.get('df/F043495459494401/pin/01')).toBeUndefined();
    expect(slot.store.get('df/F043495459494401/pin/81')).toBeUndefined();
    expect(slot.card.lifecycle).toBe('blank');
  });

  it('refuses to personalize a card twice: CARD_NOT_BLANK, nothing changes, the HSM session is dropped', async () => {
    const slot = blankSlot();
    await personalizeCard(slot.transport, hsm.as('bureau'), ORDER);
    const personalized = snapshot(slot.store);
    const failed = await expectFailure(personalizeCard(slot.transport, hsm.as('bureau'), ORDER), 'opening the session');
    expect(failed.cause).toBeInstanceOf(BusinessRuleError);
    expect((failed.cause as BusinessRuleError).reason).toBe('CARD_NOT_BLANK');
    expect(((failed.cause as BusinessRuleError).cause as CardProtocolError).sw).toBe(0x6985);
    expect(snapshot(slot.store)).toEqual(personalized);
    expect(hsm.core.context.sessions.size).toBe(0);
  });

  it('refuses a card whose transport key comes from another MTRK (CryptoError) and sends it nothing more', async () => {
    const slot = blankSlot('card', fromHex('00112233445566778899AABBCCDDEEFF'));
    const failed = await expectFailure(personalizeCard(slot.transport, hsm.as('bureau'), ORDER), 'opening the session');
    expect(failed.cause).toBeInstanceOf(CryptoError);
    expect(failed.trail.map((e) => e.name)).toEqual(['INITIALIZE PERSONALIZATION']);
    expect(hsm.core.context.sessions.size).toBe(0);
  });

  it('personalizes a blank PSAM: MPK per key version, MAMK, terminal number; the same store as the PSAM test profile', async () => {
    const slot = blankSlot('psam');
    const result = await personalizePsam(slot.transport, hsm.as('bureau'), { terminalNumber: '000000000001' });
    expect(result.trail.map((e) => e.name)).toEqual([
      'INITIALIZE PERSONALIZATION',
      'EXTERNAL AUTHENTICATE',
      'PUT KEY',
      'PUT KEY',
      'STORE DATA',
      'END PERSONALIZATION',
    ]);
    expect(toHex(result.terminalNumber)).toBe('000000000001');
    const reference = new MemoryStore();
    personalizePsamTestProfile(reference, { terminalNumber: '000000000001' });
    const applicationValues = (s: PersistentStore): Record<string, string> =>
      Object.fromEntries(Object.entries(snapshot(s)).filter(([key]) => !key.startsWith('cm/')));
    expect(applicationValues(slot.store)).toEqual(applicationValues(reference));

    await slot.transport.powerOn();
    const channel = new ApduChannel(slot.transport);
    await channel.send(selectPsamCommand());
    expect(toHex(await channel.send(readPsamTerminalNumberCommand()))).toBe('000000000001');
    await expectFailure(personalizePsam(slot.transport, hsm.as('bureau'), { terminalNumber: '000000000002' }), 'opening the session');
  });
});

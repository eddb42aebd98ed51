/**
 * The EP's rules and status words (spec §4): limits, counters at FFFF, DEBIT/CREDIT only right
 * after their INITIALIZE, wrong MACs change nothing, replays, a blocked or unpersonalized purse,
 * and the answers to malformed commands.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, StoreTransaction, VirtualCard, idApplication, type RandomSource } from '@citycard/card-os';
import { fromHex, loadMac2, loadSessionKey, purchaseMac1, purchaseSessionKey, toHex } from '@citycard/protocols';
import {
  EP_LIFECYCLE_KEY,
  EP_PURSE_KEY,
  encodePurseState,
  epApplication,
  epKeyStoreKey,
  type PurseState,
} from '../../card-os/src/applications/ep/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';

const CARD_NUMBER = '1000000000000001';
const FIXED_NOW = new Date('2025-06-01T08:00:00Z');
const DPK = fromHex('C30E7ECB2FD9DFCD3B4BC7DE47BFD57E');
const DLK = fromHex('6F1186E96A32127373D84967E33308F1');
const TERMINAL = '000000000001';
const DATE = '20261123';
const TIME = '093000';
const RANDOM = 'A1B2C3D4';

const SELECT_EP_CMD = '00A4040C08F043495459455001';
const SELECT_ID_CMD = '00A4040C08F043495459494401';
const GET_BALANCE_CMD = '805C000204';
const INIT_PURCHASE_250_CMD = `805001020B01000000FA${TERMINAL}`;
const DEBIT_250_CMD = `805401000F00000102${DATE}${TIME}AE47C133`; // §8.2 MAC1 (random A1B2C3D4, counter 0005)
const DEBIT_250_RSP = 'A0F363C70DEF3FA39000';
const DEBIT_250_WRONG_MAC_CMD = `805401000F00000102${DATE}${TIME}AE47C134`;
const INIT_LOAD_5000_CMD = `805000020B0100001388${TERMINAL}`;
const CREDIT_5000_CMD = `805200000B${DATE}${TIME}DCBB1D14`; // §8.2 MAC2 (random 0F1E2D3C, counter 0002)
const CREDIT_5000_WRONG_MAC_CMD = `805200000B${DATE}${TIME}DCBB1D15`;
const LOAD_RANDOM = '0F1E2D3C';

const SW_OK = '9000';
const SW_6985 = '6985';
const SW_9302 = '9302';
const SW_9401 = '9401';
const SW_9402 = '9402';
const SW_9403 = '9403';

function repeatRandom(hex: string): RandomSource {
  return () => fromHex(hex);
}

function personalizedStore(purse: Partial<PurseState> = {}, limits: { maxBalance?: number; maxSinglePurchase?: number } = {}): MemoryStore {
  const store = new MemoryStore();
  personalizeEpTestProfile(store, { cardNumber: CARD_NUMBER, balance: 0, now: FIXED_NOW, timeZone: 'UTC', ...limits });
  const tx = new StoreTransaction(store);
  tx.set(EP_PURSE_KEY, encodePurseState({ balance: 10000, onlineCounter: 2, offlineCounter: 5, ...purse }));
  tx.commit();
  return store;
}

function selectedCard(store: MemoryStore, random: RandomSource = repeatRandom(RANDOM)): VirtualCard {
  const bugs: unknown[] = [];
  const card = new VirtualCard({
    store,
    applications: [idApplication, epApplication],
    random,
    onInternalError: (err) => bugs.push(err),
  });
  card.powerOn();
  expect(send(card, SELECT_EP_CMD)).toBe(SW_OK);
  return card;
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

/** Every value in the store, for "nothing changed" checks. */
function snapshot(store: MemoryStore): Record<string, string> {
  return Object.fromEntries(store.keys().map((key) => [key, toHex(store.get(key)!)]));
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function initPurchase(amount: number): string {
  return `805001020B01${hex8(amount)}${TERMINAL}`;
}

function initLoad(amount: number): string {
  return `805000020B01${hex8(amount)}${TERMINAL}`;
}

/** A correct DEBIT for the purchase of `amount` opened with RANDOM at `counter`. */
function debitFor(amount: number, counter: number): string {
  const sespk = purchaseSessionKey(DPK, fromHex(RANDOM), counter, 1);
  const mac1 = purchaseMac1(sespk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
  return `805401000F00000001${DATE}${TIME}${toHex(mac1)}`;
}

/** A correct CREDIT for the load of `amount` opened with RANDOM at `counter`. */
function creditFor(amount: number, counter: number): string {
  const seslk = loadSessionKey(DLK, fromHex(RANDOM), counter);
  const mac2 = loadMac2(seslk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
  return `805200000B${DATE}${TIME}${toHex(mac2)}`;
}

describe('EP limits', () => {
  it('INITIALIZE FOR PURCHASE: 9401 above the balance, the whole balance is fine', () => {
    const store = personalizedStore();
    const card = selectedCard(store);
    expect(send(card, initPurchase(10001))).toBe(SW_9401);
    expect(send(card, initPurchase(10000)).slice(-4)).toBe(SW_OK);
    expect(send(card, debitFor(10000, 5))).toMatch(/^[0-9A-F]{16}9000$/);
    expect(send(card, GET_BALANCE_CMD)).toBe('00000000' + SW_OK);
    expect(send(card, initPurchase(1))).toBe(SW_9401);
  });

  it('INITIALIZE FOR PURCHASE: 6985 above the max single purchase (checked before the balance)', () => {
    const store = personalizedStore({ balance: 60000 });
    const card = selectedCard(store);
    expect(send(card, initPurchase(50001))).toBe(SW_6985);
    expect(send(card, initPurchase(50000)).slice(-4)).toBe(SW_OK);
    const poor = selectedCard(personalizedStore({ balance: 100 }));
    expect(send(poor, initPurchase(50001))).toBe(SW_6985);
  });

  it('INITIALIZE FOR LOAD: 6985 when the new balance would pass the max balance', () => {
    const card = selectedCard(personalizedStore());
    expect(send(card, initLoad(90001))).toBe(SW_6985);
    expect(send(card, initLoad(90000)).slice(-4)).toBe(SW_OK);
    expect(send(card, creditFor(90000, 2))).toMatch(/^[0-9A-F]{8}9000$/);
    expect(send(card, GET_BALANCE_CMD)).toBe(hex8(100000) + SW_OK);
    expect(send(card, initLoad(1))).toBe(SW_6985);
  });

  it('amount 0 is refused with 6A80 by both INITIALIZEs', () => {
    const card = selectedCard(personalizedStore());
    expect(send(card, initPurchase(0))).toBe('6A80');
    expect(send(card, initLoad(0))).toBe('6A80');
  });

  it('a counter at FFFF answers 9402; FFFE still allows its last transaction', () => {
    const atMax = selectedCard(personalizedStore({ onlineCounter: 0xffff, offlineCounter: 0xffff }));
    expect(send(atMax, initLoad(1))).toBe(SW_9402);
    expect(send(atMax, initPurchase(1))).toBe(SW_9402);
    const store = personalizedStore({ onlineCounter: 0xfffe, offlineCounter: 0xfffe });
    const card = selectedCard(store);
    expect(send(card, initLoad(1)).slice(-4)).toBe(SW_OK);
    expect(send(card, creditFor(1, 0xfffe)).slice(-4)).toBe(SW_OK);
    expect(send(card, initLoad(1))).toBe(SW_9402);
    expect(send(card, initPurchase(1)).slice(-4)).toBe(SW_OK);
    expect(send(card, debitFor(1, 0xfffe)).slice(-4)).toBe(SW_OK);
    expect(send(card, initPurchase(1))).toBe(SW_9402);
    expect(toHex(store.get(EP_PURSE_KEY)!)).toBe(hex8(10000) + 'FFFF' + 'FFFF');
  });
});

describe('EP: DEBIT and CREDIT only right after their INITIALIZE', () => {
  it('DEBIT without INITIALIZE, or after another command, answers 6985', () => {
    const store = personalizedStore();
    const before = snapshot(store);
    const card = selectedCard(store);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, GET_BALANCE_CMD)).toBe(hex8(10000) + SW_OK);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, '00B095001E').slice(-4)).toBe(SW_OK); // an ISO command between counts too
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    expect(snapshot(store)).toEqual(before);
  });

  it('DEBIT after INITIALIZE FOR LOAD and CREDIT after INITIALIZE FOR PURCHASE answer 6985', () => {
    const store = personalizedStore();
    const before = snapshot(store);
    const card = selectedCard(store);
    send(card, INIT_LOAD_5000_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, CREDIT_5000_CMD)).toBe(SW_6985);
    expect(snapshot(store)).toEqual(before);
  });

  it('a power cycle, a reset or a SELECT between INITIALIZE and DEBIT answers 6985', () => {
    const store = personalizedStore();
    const before = snapshot(store);
    const card = selectedCard(store);
    send(card, INIT_PURCHASE_250_CMD);
    card.powerOff();
    card.powerOn();
    expect(send(card, DEBIT_250_CMD)).toBe('6D00'); // no application selected any more
    expect(send(card, SELECT_EP_CMD)).toBe(SW_OK);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    send(card, INIT_PURCHASE_250_CMD);
    card.reset();
    send(card, SELECT_EP_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    send(card, INIT_PURCHASE_250_CMD);
    send(card, SELECT_EP_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    send(card, INIT_PURCHASE_250_CMD);
    send(card, SELECT_ID_CMD);
    send(card, SELECT_EP_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    expect(snapshot(store)).toEqual(before);
  });

  it('a replayed DEBIT is refused and debits once', () => {
    const store = personalizedStore();
    const card = selectedCard(store);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(DEBIT_250_RSP);
    const after = snapshot(store);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    expect(snapshot(store)).toEqual(after);
    // A new INITIALIZE gets the same random here, but the counter moved: the old MAC1 is wrong.
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_9302);
    expect(snapshot(store)).toEqual(after);
    expect(send(card, GET_BALANCE_CMD)).toBe(hex8(9750) + SW_OK);
  });

  it('a replayed CREDIT is refused and credits once', () => {
    const store = personalizedStore();
    const card = selectedCard(store, repeatRandom(LOAD_RANDOM));
    send(card, INIT_LOAD_5000_CMD);
    expect(send(card, CREDIT_5000_CMD)).toBe('CC3A082D9000');
    const after = snapshot(store);
    expect(send(card, CREDIT_5000_CMD)).toBe(SW_6985);
    send(card, INIT_LOAD_5000_CMD);
    expect(send(card, CREDIT_5000_CMD)).toBe(SW_9302);
    expect(snapshot(store)).toEqual(after);
    expect(send(card, GET_BALANCE_CMD)).toBe(hex8(15000) + SW_OK);
  });
});

describe('EP: wrong MACs change nothing', () => {
  it('wrong MAC1: 9302, nothing changes, and the INITIALIZE is used up', () => {
    const store = personalizedStore();
    const before = snapshot(store);
    const card = selectedCard(store);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, DEBIT_250_WRONG_MAC_CMD)).toBe(SW_9302);
    expect(snapshot(store)).toEqual(before);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_6985);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(DEBIT_250_RSP);
  });

  it('a MAC1 for another TTSN, date or amount is wrong too', () => {
    const store = personalizedStore();
    const before = snapshot(store);
    const card = selectedCard(store);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, DEBIT_250_CMD.replace('00000102', '00000103'))).toBe(SW_9302);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, DEBIT_250_CMD.replace(DATE, '20261124'))).toBe(SW_9302);
    send(card, `805001020B01000000FB${TERMINAL}`);
    expect(send(card, DEBIT_250_CMD)).toBe(SW_9302);
    expect(snapshot(store)).toEqual(before);
  });

  it('wrong MAC2: 9302, nothing changes, and the INITIALIZE is used up', () => {
    const store = personalizedStore();
    const before = snapshot(store);
    const card = selectedCard(store, repeatRandom(LOAD_RANDOM));
    send(card, INIT_LOAD_5000_CMD);
    expect(send(card, CREDIT_5000_WRONG_MAC_CMD)).toBe(SW_9302);
    expect(snapshot(store)).toEqual(before);
    expect(send(card, CREDIT_5000_CMD)).toBe(SW_6985);
    send(card, INIT_LOAD_5000_CMD);
    expect(send(card, CREDIT_5000_CMD)).toBe('CC3A082D9000');
  });
});

describe('EP: blocked, unpersonalized, keys', () => {
  it('a blocked purse answers 6A81 to INITIALIZE but still tells its balance', () => {
    const store = personalizedStore();
    const tx = new StoreTransaction(store);
    tx.set(EP_LIFECYCLE_KEY, fromHex('06'));
    tx.commit();
    const card = selectedCard(store);
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe('6A81');
    expect(send(card, INIT_LOAD_5000_CMD)).toBe('6A81');
    expect(send(card, GET_BALANCE_CMD)).toBe(hex8(10000) + SW_OK);
  });

  it('an EP that was never personalized: empty A5, 6985 to transactions, 9406 to proofs', () => {
    const card = new VirtualCard({ store: new MemoryStore(), applications: [epApplication], random: repeatRandom(RANDOM) });
    card.powerOn();
    expect(send(card, '00A4040008F04349545945500100')).toBe('6F0C8408F043495459455001A500' + SW_OK);
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe(SW_6985);
    expect(send(card, INIT_LOAD_5000_CMD)).toBe(SW_6985);
    expect(send(card, GET_BALANCE_CMD)).toBe(SW_6985);
    expect(send(card, '805A0006020006')).toBe('9406');
    expect(send(card, '841E000004' + '00000000')).toBe(SW_6985);
  });

  it('key index other than 01, or a missing key, answers 9403', () => {
    const store = personalizedStore();
    const card = selectedCard(store);
    expect(send(card, INIT_PURCHASE_250_CMD.replace(/^805001020B01/, '805001020B02'))).toBe(SW_9403);
    const tx = new StoreTransaction(store);
    tx.delete(epKeyStoreKey('DTK'));
    tx.commit();
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe(SW_9403);
    expect(send(card, INIT_LOAD_5000_CMD)).toBe(SW_9403);
  });

  it('a damaged purse record answers 6581, never a guess', () => {
    const store = personalizedStore();
    const tx = new StoreTransaction(store);
    tx.set(EP_PURSE_KEY, fromHex('0000271000020005FF'));
    tx.commit();
    const card = selectedCard(store);
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe('6581');
    expect(send(card, GET_BALANCE_CMD)).toBe('6581');
  });
});

describe('EP: malformed commands', () => {
  const cases: [string, string, string][] = [
    ['INITIALIZE P1 02', `805002020B01000000FA${TERMINAL}`, '6A86'],
    ['INITIALIZE P2 01 (electronic deposit)', `805001010B01000000FA${TERMINAL}`, '6A86'],
    ['INITIALIZE short data', `805001020A01000000FA0000000000`, '6700'],
    ['INITIALIZE FOR PURCHASE Le 0E', `${INIT_PURCHASE_250_CMD}0E`, '6700'],
    ['INITIALIZE FOR LOAD Le 0F', `${INIT_LOAD_5000_CMD}0F`, '6700'],
    ['INITIALIZE no data', '8050010200', '6700'],
    ['DEBIT P1 00', `805400000F00000102${DATE}${TIME}AE47C133`, '6A86'],
    ['DEBIT short data', `805401000E00000102${DATE}${TIME}AE47C1`, '6700'],
    ['DEBIT Le 07', `${DEBIT_250_CMD}07`, '6700'],
    ['CREDIT P1 01', `805201000B${DATE}${TIME}DCBB1D14`, '6A86'],
    ['CREDIT Le 03', `${CREDIT_5000_CMD}03`, '6700'],
    ['GET BALANCE P2 01', '805C000104', '6A86'],
    ['GET BALANCE no Le', '805C0002', '6700'],
    ['GET BALANCE Le 03', '805C000203', '6700'],
    ['GET BALANCE with data', '805C00020100', '6700'],
    ['unknown proprietary INS', '80CA000000', '6D00'],
    ['Lc that does not match', `805001020C01000000FA${TERMINAL}`, '6700'],
  ];
  for (const [name, cmd, sw] of cases) {
    it(`${name}: ${sw}`, () => {
      const store = personalizedStore();
      const before = snapshot(store);
      const card = selectedCard(store);
      expect(send(card, cmd)).toBe(sw);
      expect(snapshot(store)).toEqual(before);
    });
  }

  it('GET BALANCE accepts Le 00', () => {
    const card = selectedCard(personalizedStore());
    expect(send(card, '805C000200')).toBe(hex8(10000) + SW_OK);
  });

  it('EP files are never updated by command', () => {
    const card = selectedCard(personalizedStore());
    expect(send(card, '00D6950001FF')).toBe(SW_6985);
    expect(send(card, '00D6920001FF')).toBe(SW_6985);
    expect(send(card, `00DC01C417${'00'.repeat(23)}`)).toBe('6981');
  });
});

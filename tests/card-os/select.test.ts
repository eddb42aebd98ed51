import { describe, expect, it } from 'vitest';
import { MemoryStore, VirtualCard, idApplication } from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import { testApplication } from './support/testApplication.js';

const SELECT_ID_CMD = '00A4040008F04349545949440100';
const SELECT_ID_NO_LE_CMD = '00A4040008F043495459494401';
const SELECT_ID_NO_FCI_CMD = '00A4040C08F043495459494401';
// 6F 14 | 84 08 AID | A5 08 50 06 "CITYID"
const ID_FCI_RSP = '6F148408F043495459494401A50850064349545949449000';
const SELECT_EP_CMD = '00A4040008F04349545945500100'; // the purse is not installed here
const SELECT_MF_CMD = '00A40000023F00';
const MF_FCI_RSP = '6F0483023F009000';
const SELECT_ID_BY_FID_CMD = '00A4000002DF01';
// 6F 18 | 83 02 DF01 | 84 08 AID | A5 08 ...
const ID_FCI_BY_FID_RSP = '6F188302DF018408F043495459494401A50850064349545949449000';
// 62 0E | 80 02 0000 | 82 01 01 | 83 02 0001 | 88 01 01
const ID_EF_0001_EMPTY_FCP_RSP = '620E8002000082010183020001880101' + '9000';
const SELECT_TEST_CMD = '00A4040C08F054455354415050';
const SELECT_EF_0101_CMD = '00A40000020101';
// 62 0E | 80 02 0000 | 82 01 01 | 83 02 0101 | 88 01 01
const EF_0101_FCP_RSP = '620E8002000082010183020101880101' + '9000';
const SELECT_EF_0103_CMD = '00A40000020103';
// 62 12 | 80 02 000C | 82 05 02 41 00 04 03 | 83 02 0103 | 88 01 03
const EF_0103_FCP_RSP = '62128002000C8205024100040383020103880103' + '9000';
const SELECT_EF_0104_CMD = '00A40000020104';
// 62 12 | 80 02 0006 | 82 05 06 41 00 02 03 | 83 02 0104 | 88 01 04
const EF_0104_FCP_RSP = '6212800200068205064100020383020104880104' + '9000';
const SELECT_EF_0105_CMD = '00A40000020105'; // no SFI
// 62 0B | 80 02 0000 | 82 01 01 | 83 02 0105
const EF_0105_FCP_RSP = '620B8002000082010183020105' + '9000';

function newCard(): VirtualCard {
  const card = new VirtualCard({ store: new MemoryStore(), applications: [idApplication, testApplication] });
  card.powerOn();
  return card;
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

describe('SELECT by AID', () => {
  it('answers the FCI 6F with 84 (AID) and A5, with or without Le', () => {
    const card = newCard();
    expect(send(card, SELECT_ID_CMD)).toBe(ID_FCI_RSP);
    expect(send(card, SELECT_ID_NO_LE_CMD)).toBe(ID_FCI_RSP);
  });

  it('answers 9000 alone for P2 0C', () => {
    expect(send(newCard(), SELECT_ID_NO_FCI_CMD)).toBe('9000');
  });

  it('answers 6A82 for an unknown, truncated or extended AID', () => {
    const card = newCard();
    expect(send(card, SELECT_EP_CMD)).toBe('6A82');
    expect(send(card, '00A4040004F043495400')).toBe('6A82');
    expect(send(card, '00A4040009F04349545949440100' + '00')).toBe('6A82');
  });

  it('answers 6700 for no AID, more than 16 bytes, or an Lc that does not match', () => {
    const card = newCard();
    expect(send(card, '00A4040000')).toBe('6700');
    expect(send(card, '00A4040011' + '00'.repeat(17))).toBe('6700');
    expect(send(card, '00A4040008F0434954')).toBe('6700');
    expect(send(card, '00A40400')).toBe('6700');
  });

  it('answers 6A86 for P1 or P2 it does not support', () => {
    const card = newCard();
    expect(send(card, '00A4010008F043495459494401')).toBe('6A86');
    expect(send(card, '00A4040208F043495459494401')).toBe('6A86');
    expect(send(card, '00A4040408F043495459494401')).toBe('6A86');
  });
});

describe('SELECT by FID', () => {
  it('selects the MF (3F00, or no data) and application DFs', () => {
    const card = newCard();
    expect(send(card, SELECT_MF_CMD)).toBe(MF_FCI_RSP);
    expect(send(card, '00A40000')).toBe(MF_FCI_RSP);
    expect(send(card, SELECT_ID_BY_FID_CMD)).toBe(ID_FCI_BY_FID_RSP);
    expect(send(card, '00A4000C02DF01')).toBe('9000');
    // From inside an application: the MF, the application itself, and a sibling DF.
    expect(send(card, SELECT_MF_CMD)).toBe(MF_FCI_RSP);
    send(card, SELECT_ID_BY_FID_CMD);
    expect(send(card, SELECT_ID_BY_FID_CMD)).toBe(ID_FCI_BY_FID_RSP);
    expect(send(card, '00A4000C02DF7E')).toBe('9000');
  });

  it('answers the FCP of each EF type', () => {
    const card = newCard();
    send(card, SELECT_TEST_CMD);
    expect(send(card, SELECT_EF_0101_CMD)).toBe(EF_0101_FCP_RSP);
    expect(send(card, SELECT_EF_0103_CMD)).toBe(EF_0103_FCP_RSP);
    expect(send(card, SELECT_EF_0104_CMD)).toBe(EF_0104_FCP_RSP);
    expect(send(card, SELECT_EF_0105_CMD)).toBe(EF_0105_FCP_RSP);
    expect(send(card, '00A4000C020101')).toBe('9000');
  });

  it('finds EFs only in the selected application', () => {
    const card = newCard();
    expect(send(card, SELECT_EF_0101_CMD)).toBe('6A82'); // from the MF
    send(card, SELECT_ID_NO_FCI_CMD);
    expect(send(card, SELECT_EF_0101_CMD)).toBe('6A82'); // an EF of the other application
    expect(send(card, '00A40000020001')).toBe(ID_EF_0001_EMPTY_FCP_RSP); // its own EF (not personalized: empty)
  });

  it('answers 6700 for a FID that is not 2 bytes and 6A82 for an unknown one', () => {
    const card = newCard();
    expect(send(card, '00A4000001DF')).toBe('6700');
    expect(send(card, '00A4000003DF0101')).toBe('6700');
    expect(send(card, '00A4000002ABCD')).toBe('6A82');
  });

  it('makes the selected EF current for READ BINARY by offset', () => {
    const card = newCard();
    send(card, SELECT_TEST_CMD);
    send(card, '00D6810003414243'); // UPDATE BINARY SFI 01
    send(card, SELECT_MF_CMD);
    send(card, SELECT_TEST_CMD);
    expect(send(card, '00B0000003')).toBe('6986'); // SELECT of the DF cleared the current EF
    send(card, SELECT_EF_0101_CMD);
    expect(send(card, '00B0000103')).toBe('42436282');
  });
});

import { describe, expect, it } from 'vitest';
import { CommandParameterError, ResponseDataError, findExpectedStatus, fromHex, parseResponseApdu } from '@citycard/protocols';
import {
  APPLICATION_MAINTENANCE_STATUS,
  CREDIT_FOR_LOAD_STATUS,
  DEBIT_FOR_PURCHASE_STATUS,
  GET_TRANSACTION_PROOF_STATUS,
  INITIALIZE_FOR_LOAD_STATUS,
  INITIALIZE_FOR_PURCHASE_STATUS,
  type ProofType,
  applicationBlockCommand,
  applicationMaintenanceHeader,
  applicationUnblockCommand,
  creditForLoadCommand,
  debitForPurchaseCommand,
  encodeCreditForLoad,
  encodeDebitForPurchase,
  encodeGetBalance,
  encodeGetTransactionProof,
  encodeInitializeForLoad,
  encodeInitializeForPurchase,
  getBalanceCommand,
  getTransactionProofCommand,
  initializeForLoadCommand,
  initializeForPurchaseCommand,
  parseApplicationMaintenanceResponse,
  parseCreditForLoadResponse,
  parseDebitForPurchaseResponse,
  parseGetBalanceResponse,
  parseGetTransactionProofResponse,
  parseInitializeForLoadResponse,
  parseInitializeForPurchaseResponse,
} from '../../protocols/src/commands/purse/index.js';

// Spec §8.2 worked example: card 1000000000000001, terminal 000000000001, 20261123 093000.
const TERMINAL = fromHex('000000000001');
const DATE = fromHex('20261123');
const TIME = fromHex('093000');

// Load of 5000 onto 10000, random 0F1E2D3C, online counter 0002.
const INIT_LOAD_CMD = fromHex('805000020B 01 00001388 000000000001 10');
const INIT_LOAD_RSP = fromHex('00002710 0002 01 00 0F1E2D3C 1395117E 9000');
const CREDIT_CMD = fromHex('805200000B 20261123 093000 DCBB1D14 04');
const CREDIT_RSP = fromHex('CC3A082D 9000');

// Purchase of 250, random A1B2C3D4, offline counter 0005, TTSN 00000102.
const INIT_PURCHASE_CMD = fromHex('805001020B 01 000000FA 000000000001 0F');
const INIT_PURCHASE_RSP = fromHex('00002710 0005 000000 01 00 A1B2C3D4 9000');
const DEBIT_CMD = fromHex('805401000F 00000102 20261123 093000 AE47C133 08');
const DEBIT_RSP = fromHex('A0F363C7 0DEF3FA3 9000');

const GET_BALANCE_CMD = fromHex('805C000204');
const GET_BALANCE_RSP = fromHex('000026AC 9000');
const PROOF_PURCHASE_CMD = fromHex('805A000602 0006 08');
const PROOF_LOAD_CMD = fromHex('805A000202 0003 08');
const PROOF_PURCHASE_RSP = fromHex('0DEF3FA3 A0F363C7 9000');
const SW_9406 = fromHex('9406');

const BLOCK_MAC = fromHex('E7400602');
const BLOCK_CMD = fromHex('841E000004 E7400602');
const UNBLOCK_CMD = fromHex('8418000004 0475E70D');
const BLOCK_HEADER = fromHex('841E000004');
const UNBLOCK_HEADER = fromHex('8418000004');
const SW_9000 = fromHex('9000');

const rsp = (bytes: Buffer) => parseResponseApdu(bytes);

describe('INITIALIZE FOR LOAD', () => {
  it('encodes the §8.2 load with key index 01 and Le 10', () => {
    expect(encodeInitializeForLoad({ amount: 5000, terminal: TERMINAL })).toEqual(INIT_LOAD_CMD);
    expect(initializeForLoadCommand({ amount: 5000, terminal: TERMINAL }).apdu).toEqual(INIT_LOAD_CMD);
  });

  it('parses balance, counter, key version, algorithm, random and MAC1', () => {
    expect(parseInitializeForLoadResponse(rsp(INIT_LOAD_RSP))).toEqual({
      balance: 10000,
      onlineCounter: 2,
      keyVersion: 1,
      algorithmId: 0,
      random: fromHex('0F1E2D3C'),
      mac1: fromHex('1395117E'),
    });
  });

  it('refuses bad parameters before encoding', () => {
    expect(() => encodeInitializeForLoad({ amount: -1, terminal: TERMINAL })).toThrow(CommandParameterError);
    expect(() => encodeInitializeForLoad({ amount: 2 ** 32, terminal: TERMINAL })).toThrow(CommandParameterError);
    expect(() => encodeInitializeForLoad({ amount: 1.5, terminal: TERMINAL })).toThrow(CommandParameterError);
    expect(() => encodeInitializeForLoad({ amount: 1, terminal: fromHex('0001') })).toThrow(CommandParameterError);
    expect(() => encodeInitializeForLoad({ amount: 1, terminal: TERMINAL, keyIndex: 0 })).toThrow(CommandParameterError);
  });

  it('refuses an answer of another length', () => {
    expect(() => parseInitializeForLoadResponse(rsp(fromHex('00002710 0002 01 00 0F1E2D3C 1395 9000')))).toThrow(ResponseDataError);
  });

  it('lists 6985 (max balance), 9402, 6A81 and 9303 as errors', () => {
    for (const sw of [0x6985, 0x9402, 0x9403, 0x6a81, 0x9303]) {
      expect(findExpectedStatus(INITIALIZE_FOR_LOAD_STATUS, sw)?.outcome).toBe('error');
    }
    expect(findExpectedStatus(INITIALIZE_FOR_LOAD_STATUS, 0x9401)).toBeUndefined();
  });
});

describe('CREDIT FOR LOAD', () => {
  it('encodes host date, time and MAC2 with Le 04', () => {
    expect(encodeCreditForLoad({ date: DATE, time: TIME, mac2: fromHex('DCBB1D14') })).toEqual(CREDIT_CMD);
  });

  it('parses the TAC', () => {
    expect(creditForLoadCommand({ date: DATE, time: TIME, mac2: fromHex('DCBB1D14') }).parse(rsp(CREDIT_RSP))).toEqual(fromHex('CC3A082D'));
    expect(parseCreditForLoadResponse(rsp(CREDIT_RSP))).toEqual(fromHex('CC3A082D'));
    expect(() => parseCreditForLoadResponse(rsp(SW_9000))).toThrow(ResponseDataError);
  });

  it('refuses an impossible date or time and a short MAC2', () => {
    expect(() => encodeCreditForLoad({ date: fromHex('20261323'), time: TIME, mac2: fromHex('DCBB1D14') })).toThrow(CommandParameterError);
    expect(() => encodeCreditForLoad({ date: DATE, time: fromHex('246000'), mac2: fromHex('DCBB1D14') })).toThrow(CommandParameterError);
    expect(() => encodeCreditForLoad({ date: DATE, time: TIME, mac2: fromHex('DCBB1D') })).toThrow(CommandParameterError);
  });

  it('expects 9302 (MAC2 invalid) as an error', () => {
    expect(findExpectedStatus(CREDIT_FOR_LOAD_STATUS, 0x9302)).toMatchObject({ outcome: 'error', meaning: 'MAC2 invalid, nothing loaded' });
  });
});

describe('INITIALIZE FOR PURCHASE', () => {
  it('encodes the §8.2 purchase with P1 01 and Le 0F', () => {
    expect(encodeInitializeForPurchase({ amount: 250, terminal: TERMINAL })).toEqual(INIT_PURCHASE_CMD);
    expect(initializeForPurchaseCommand({ amount: 250, terminal: TERMINAL }).apdu).toEqual(INIT_PURCHASE_CMD);
  });

  it('parses the answer', () => {
    expect(parseInitializeForPurchaseResponse(rsp(INIT_PURCHASE_RSP))).toEqual({
      balance: 10000,
      offlineCounter: 5,
      overdraftLimit: 0,
      keyVersion: 1,
      algorithmId: 0,
      random: fromHex('A1B2C3D4'),
    });
    expect(() => parseInitializeForPurchaseResponse(rsp(INIT_LOAD_RSP))).toThrow(ResponseDataError);
  });

  it('expects 9401 insufficient balance and 6985 over the single-purchase limit as errors', () => {
    expect(findExpectedStatus(INITIALIZE_FOR_PURCHASE_STATUS, 0x9401)).toMatchObject({ outcome: 'error', meaning: 'insufficient balance' });
    expect(findExpectedStatus(INITIALIZE_FOR_PURCHASE_STATUS, 0x6985)?.outcome).toBe('error');
    expect(findExpectedStatus(INITIALIZE_FOR_PURCHASE_STATUS, 0x6a81)?.meaning).toBe('application blocked');
  });
});

describe('DEBIT FOR PURCHASE', () => {
  const input = { ttsn: 0x102, date: DATE, time: TIME, mac1: fromHex('AE47C133') };

  it('encodes TTSN, date, time and MAC1 with Le 08', () => {
    expect(encodeDebitForPurchase(input)).toEqual(DEBIT_CMD);
  });

  it('parses TAC then MAC2', () => {
    expect(debitForPurchaseCommand(input).parse(rsp(DEBIT_RSP))).toEqual({ tac: fromHex('A0F363C7'), mac2: fromHex('0DEF3FA3') });
    expect(() => parseDebitForPurchaseResponse(rsp(CREDIT_RSP))).toThrow(ResponseDataError);
  });

  it('refuses a TTSN out of range', () => {
    expect(() => encodeDebitForPurchase({ ...input, ttsn: 2 ** 32 })).toThrow(CommandParameterError);
  });

  it('expects 9302 (MAC1 invalid) as an error', () => {
    expect(findExpectedStatus(DEBIT_FOR_PURCHASE_STATUS, 0x9302)?.outcome).toBe('error');
  });
});

describe('GET BALANCE', () => {
  it('encodes 80 5C 00 02 04 and parses 4 bytes', () => {
    expect(encodeGetBalance()).toEqual(GET_BALANCE_CMD);
    expect(getBalanceCommand().parse(rsp(GET_BALANCE_RSP))).toBe(9900);
    expect(parseGetBalanceResponse(rsp(fromHex('FFFFFFFF 9000')))).toBe(0xffffffff);
    expect(() => parseGetBalanceResponse(rsp(fromHex('0026AC 9000')))).toThrow(ResponseDataError);
  });
});

describe('GET TRANSACTION PROOF', () => {
  it('encodes the type in P2 and the counter after the transaction', () => {
    expect(encodeGetTransactionProof(0x06, 6)).toEqual(PROOF_PURCHASE_CMD);
    expect(getTransactionProofCommand(0x02, 3).apdu).toEqual(PROOF_LOAD_CMD);
  });

  it('refuses other types and counters', () => {
    expect(() => encodeGetTransactionProof(0x01 as ProofType, 1)).toThrow(CommandParameterError);
    expect(() => encodeGetTransactionProof(0x06, 0x10000)).toThrow(CommandParameterError);
  });

  it('parses MAC2 then TAC, and 9406 as no proof', () => {
    expect(parseGetTransactionProofResponse(rsp(PROOF_PURCHASE_RSP))).toEqual({
      available: true,
      mac2: fromHex('0DEF3FA3'),
      tac: fromHex('A0F363C7'),
    });
    expect(parseGetTransactionProofResponse(rsp(SW_9406))).toEqual({ available: false });
    expect(findExpectedStatus(GET_TRANSACTION_PROOF_STATUS, 0x9406)?.outcome).toBe('result');
    expect(() => parseGetTransactionProofResponse(rsp(fromHex('00 9406')))).toThrow(ResponseDataError);
    expect(() => parseGetTransactionProofResponse(rsp(fromHex('0DEF3FA3 9000')))).toThrow(ResponseDataError);
  });
});

describe('APPLICATION BLOCK and UNBLOCK', () => {
  it('gives the headers the maintenance MAC covers', () => {
    expect(applicationMaintenanceHeader('block')).toEqual(BLOCK_HEADER);
    expect(applicationMaintenanceHeader('unblock')).toEqual(UNBLOCK_HEADER);
  });

  it('encodes CLA 84 with the 4-byte MAC and no Le', () => {
    expect(applicationBlockCommand(BLOCK_MAC).apdu).toEqual(BLOCK_CMD);
    expect(applicationUnblockCommand(fromHex('0475E70D')).apdu).toEqual(UNBLOCK_CMD);
    expect(() => applicationBlockCommand(fromHex('E74006'))).toThrow(CommandParameterError);
  });

  it('accepts 9000 without data only; 9302 is an error', () => {
    expect(parseApplicationMaintenanceResponse(rsp(SW_9000))).toBeUndefined();
    expect(() => parseApplicationMaintenanceResponse(rsp(fromHex('00 9000')))).toThrow(ResponseDataError);
    expect(findExpectedStatus(APPLICATION_MAINTENANCE_STATUS, 0x9302)?.outcome).toBe('error');
  });
});

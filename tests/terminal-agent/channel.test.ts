import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  ResponseDataError,
  ID_AID,
  fromHex,
  getChallengeCommand,
  readBinaryCommand,
  resetRetryCounterCommand,
  selectByAidCommand,
  changeReferenceDataCommand,
  verifyCommand,
  verifyStatusCommand,
} from '@citycard/protocols';
import {
  ApduChannel,
  CardRemovedError,
  type CardTransport,
  CardProtocolError,
  type TraceLogger,
  TransportError,
  maskCommandApdu,
} from '@citycard/terminal-agent';

const FIXED_NOW = new Date('2026-11-23T09:30:00Z');
const SELECT_ID_CMD = fromHex('00A4040008F04349545949440100');
const SELECT_ID_RSP = fromHex('6F0C8408F043495459494401A500 9000');
const GET_CHALLENGE_CMD = fromHex('0084000004');
const GET_CHALLENGE_RSP = fromHex('A1B2C3D4 9000');
const VERIFY_PIN_CMD = fromHex('0020000108 313233343536FFFF');
const VERIFY_PIN_MASKED = fromHex('0020000108 2A2A2A2A2A2A2A2A');
const CHANGE_PIN_CMD = fromHex('0024000110 313233343536FFFF 39383736FFFFFFFF');
const CHANGE_PIN_MASKED = fromHex('0024000110' + '2A'.repeat(16));
const RESET_PIN_CMD = fromHex('002C000110 3132333435363738 39383736FFFFFFFF');
const RESET_PIN_MASKED = fromHex('002C000110' + '2A'.repeat(16));
const VERIFY_STATUS_CMD = fromHex('00200001');
const READ_SFI_01_CMD = fromHex('00B0810000');
const SW_9000 = fromHex('9000');
const SW_63C2 = fromHex('63C2');
const SW_6A82 = fromHex('6A82');
const SW_6F00 = fromHex('6F00');

/** A transport that answers each command from a table of named fixtures and records what it got. */
class CannedTransport implements CardTransport {
  readonly name = 'canned';
  readonly received: Buffer[] = [];
  constructor(private readonly answers: ReadonlyMap<string, Buffer | Error>) {}
  async powerOn(): Promise<Buffer> {
    return fromHex('3B8180018080');
  }
  async transmit(command: Uint8Array): Promise<Buffer> {
    this.received.push(Buffer.from(command));
    const answer = this.answers.get(Buffer.from(command).toString('hex').toUpperCase());
    if (answer === undefined) throw new Error(`no canned answer for ${Buffer.from(command).toString('hex')}`);
    if (answer instanceof Error) throw answer;
    return Buffer.from(answer);
  }
  async isPresent(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

function answers(...pairs: [Buffer, Buffer | Error][]): Map<string, Buffer | Error> {
  return new Map(pairs.map(([cmd, rsp]) => [cmd.toString('hex').toUpperCase(), rsp]));
}

function recordingLogger(): TraceLogger & { calls: [Record<string, unknown>, string | undefined][] } {
  const calls: [Record<string, unknown>, string | undefined][] = [];
  return { calls, trace: (obj, msg) => calls.push([obj, msg]) };
}

describe('ApduChannel', () => {
  it('sends the encoded command, returns the parsed result and keeps the pair', async () => {
    const transport = new CannedTransport(answers([SELECT_ID_CMD, SELECT_ID_RSP]));
    const channel = new ApduChannel(transport, { clock: () => FIXED_NOW });
    const result = await channel.send(selectByAidCommand(ID_AID));
    expect(result.fci?.dfName).toEqual(ID_AID);
    expect(transport.received).toEqual([SELECT_ID_CMD]);
    expect(channel.trail).toEqual([
      { seq: 0, name: 'SELECT', at: FIXED_NOW, command: SELECT_ID_CMD, response: SELECT_ID_RSP, masked: false },
    ]);
  });

  it('returns results for expected non-9000 status words (VERIFY 63C2)', async () => {
    const channel = new ApduChannel(new CannedTransport(answers([VERIFY_PIN_CMD, SW_63C2])));
    expect(await channel.send(verifyCommand('123456'))).toEqual({ ok: false, triesLeft: 2, blocked: false });
  });

  it('turns a status word listed as an error into a CardProtocolError with its meaning', async () => {
    const channel = new ApduChannel(new CannedTransport(answers([SELECT_ID_CMD, SW_6A82])));
    const err = await channel.send(selectByAidCommand(ID_AID)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as CardProtocolError).sw).toBe(0x6a82);
    expect((err as Error).message).toContain('application or file not found');
    expect(channel.trail).toHaveLength(1);
  });

  it('turns an unexpected status word into a CardProtocolError and still keeps the pair', async () => {
    const channel = new ApduChannel(new CannedTransport(answers([READ_SFI_01_CMD, SW_6F00])));
    const err = await channel.send(readBinaryCommand({ sfi: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as CardProtocolError).sw).toBe(0x6f00);
    expect((err as Error).message).toMatch(/unexpected status word/);
    expect(channel.trail[0]?.response).toEqual(SW_6F00);
  });

  it('turns data the parser refuses into a CardProtocolError with the cause', async () => {
    const channel = new ApduChannel(new CannedTransport(answers([GET_CHALLENGE_CMD, fromHex('A1B2 9000')])));
    const err = await channel.send(getChallengeCommand(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as CardProtocolError).sw).toBe(0x9000);
    expect((err as Error).cause).toBeInstanceOf(ResponseDataError);
  });

  it('turns a response without a status word into a CardProtocolError', async () => {
    const channel = new ApduChannel(new CannedTransport(answers([GET_CHALLENGE_CMD, fromHex('90')])));
    const err = await channel.send(getChallengeCommand(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as CardProtocolError).sw).toBeUndefined();
  });

  it('passes transport errors through and records the unanswered command', async () => {
    const removed = new CardRemovedError('card left the field');
    const channel = new ApduChannel(new CannedTransport(answers([GET_CHALLENGE_CMD, removed])));
    await expect(channel.send(getChallengeCommand(4))).rejects.toBe(removed);
    expect(channel.trail[0]).toMatchObject({ command: GET_CHALLENGE_CMD, response: undefined });
  });

  it('wraps a foreign transport failure in a TransportError with the cause', async () => {
    const boom = new Error('socket closed');
    const channel = new ApduChannel(new CannedTransport(answers([GET_CHALLENGE_CMD, boom])));
    const err = await channel.send(getChallengeCommand(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).cause).toBe(boom);
  });

  it('masks PIN-bearing data in the trail: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER', async () => {
    const transport = new CannedTransport(
      answers([VERIFY_PIN_CMD, SW_9000], [CHANGE_PIN_CMD, SW_9000], [RESET_PIN_CMD, SW_9000], [VERIFY_STATUS_CMD, SW_9000]),
    );
    const channel = new ApduChannel(transport);
    await channel.send(verifyCommand('123456'));
    await channel.send(changeReferenceDataCommand('123456', '9876'));
    await channel.send(resetRetryCounterCommand('12345678', '9876'));
    await channel.send(verifyStatusCommand());
    expect(transport.received).toEqual([VERIFY_PIN_CMD, CHANGE_PIN_CMD, RESET_PIN_CMD, VERIFY_STATUS_CMD]);
    expect(channel.trail.map((e) => [e.command, e.masked])).toEqual([
      [VERIFY_PIN_MASKED, true],
      [CHANGE_PIN_MASKED, true],
      [RESET_PIN_MASKED, true],
      [VERIFY_STATUS_CMD, false],
    ]);
  });

  it('logs every exchange at trace level only, masked', async () => {
    const logger = recordingLogger();
    const channel = new ApduChannel(new CannedTransport(answers([VERIFY_PIN_CMD, SW_63C2], [GET_CHALLENGE_CMD, GET_CHALLENGE_RSP])), {
      logger,
    });
    await channel.send(verifyCommand('123456'));
    await channel.send(getChallengeCommand(4));
    expect(logger.calls).toEqual([
      [{ apdu: 'VERIFY', seq: 0, command: '00200001082A2A2A2A2A2A2A2A', response: '63C2', sw: '63C2', masked: true }, 'apdu exchange'],
      [{ apdu: 'GET CHALLENGE', seq: 1, command: '0084000004', response: 'A1B2C3D49000', sw: '9000', masked: false }, 'apdu exchange'],
    ]);
    expect(JSON.stringify(logger.calls)).not.toContain('313233343536');
  });

  it('works with a real pino logger and writes nothing below trace level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const traceLog = pino({ level: 'trace' }, sink);
    const channel = new ApduChannel(new CannedTransport(answers([VERIFY_PIN_CMD, SW_9000])), { logger: traceLog });
    await channel.send(verifyCommand('123456'));
    const quiet = new ApduChannel(new CannedTransport(answers([VERIFY_PIN_CMD, SW_9000])), {
      logger: pino({ level: 'debug' }, sink),
    });
    await quiet.send(verifyCommand('123456'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 10, apdu: 'VERIFY', command: '00200001082A2A2A2A2A2A2A2A', msg: 'apdu exchange' });
    expect(lines[0]).not.toContain('313233343536');
  });

  it('serializes concurrent sends on the wire', async () => {
    const order: string[] = [];
    let release: (() => void) | undefined;
    const transport: CardTransport = {
      name: 'gated',
      powerOn: async () => Buffer.alloc(0),
      isPresent: async () => true,
      close: async () => {},
      transmit: async (command) => {
        const hex = Buffer.from(command).toString('hex').toUpperCase();
        order.push(`start ${hex}`);
        if (hex === '0084000004') await new Promise<void>((resolve) => (release = resolve));
        order.push(`end ${hex}`);
        return hex === '0084000004' ? GET_CHALLENGE_RSP : fromHex('0102030405060708 9000');
      },
    };
    const channel = new ApduChannel(transport);
    const first = channel.send(getChallengeCommand(4));
    const second = channel.send(getChallengeCommand(8));
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['start 0084000004']);
    release!();
    expect(await first).toEqual(fromHex('A1B2C3D4'));
    expect(await second).toEqual(fromHex('0102030405060708'));
    expect(order).toEqual(['start 0084000004', 'end 0084000004', 'start 0084000008', 'end 0084000008']);
  });

  it('keeps sending after a failed exchange and gives the trail of a transaction by mark', async () => {
    const channel = new ApduChannel(
      new CannedTransport(answers([SELECT_ID_CMD, SW_6A82], [GET_CHALLENGE_CMD, GET_CHALLENGE_RSP])),
    );
    await expect(channel.send(selectByAidCommand(ID_AID))).rejects.toBeInstanceOf(CardProtocolError);
    const mark = channel.trailMark;
    await channel.send(getChallengeCommand(4));
    expect(channel.trailSince(mark).map((e) => e.name)).toEqual(['GET CHALLENGE']);
    expect(channel.trailSince(mark)[0]?.seq).toBe(1);
    expect(() => channel.trailSince(5)).toThrow(RangeError);
  });

  it('copies buffers so later mutation cannot alter the trail', async () => {
    const channel = new ApduChannel(new CannedTransport(answers([GET_CHALLENGE_CMD, GET_CHALLENGE_RSP])));
    const challenge = await channel.send(getChallengeCommand(4));
    challenge.fill(0);
    expect(channel.trail[0]?.response).toEqual(GET_CHALLENGE_RSP);
  });
});

describe('maskCommandApdu', () => {
  it.each([
    ['VERIFY with a PIN', VERIFY_PIN_CMD, VERIFY_PIN_MASKED, true],
    ['VERIFY status form', VERIFY_STATUS_CMD, VERIFY_STATUS_CMD, false],
    ['a proprietary class VERIFY', fromHex('8020000104 31323334'), fromHex('8020000104 2A2A2A2A'), true],
    ['a malformed VERIFY', fromHex('0020000109 313233'), fromHex('00200001 2A2A2A2A'), true],
    ['SELECT', SELECT_ID_CMD, SELECT_ID_CMD, false],
  ])('%s', (_name, input, output, masked) => {
    expect(maskCommandApdu(input)).toEqual({ command: output, masked });
  });

  it('does not modify its input', () => {
    const input = Buffer.from(VERIFY_PIN_CMD);
    maskCommandApdu(input);
    expect(input).toEqual(VERIFY_PIN_CMD);
  });
});

/**
 * A toy card for the PC/SC suites, served over vpcd from a child process. It must not share a
 * thread with the PcscAdapter under test: the pcsclite binding takes a reader mutex on the main
 * thread for status events while a transmit holds it waiting for the card, so a card answering on
 * that same thread deadlocks.
 *
 * Run as a script (`node --import tsx pcscToyCard.fixture.ts <host> <port>`) it serves the card and
 * obeys IPC messages from `spawnToyCard`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { concat, fromHex } from '@citycard/protocols';
import type { SmartCard } from '../../card-os/src/smartCard.js';
import { VpcdAdapter } from '../../card-os/src/vpcd/index.js';

// 3B 88 80 01 ‖ "CITYTEST" ‖ TCK
export const TOY_ATR = fromHex('3B888001 4349545954455354 18');
export const SW_9000 = fromHex('9000');
export const SW_6D00 = fromHex('6D00');
/** What INS E2 answers: 256 bytes 00..FF ‖ 9000. */
export const READ_256_RSP = concat(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), SW_9000);

/** SELECT answers 9000, INS E0 echoes its data, INS E2 returns 256 bytes, anything else 6D00. */
export class ToyCard implements SmartCard {
  readonly atr = TOY_ATR;
  readonly calls: string[] = [];
  powerOn(): Buffer {
    this.calls.push('powerOn');
    return this.atr;
  }
  powerOff(): void {
    this.calls.push('powerOff');
  }
  reset(): Buffer {
    this.calls.push('reset');
    return this.atr;
  }
  transmit(command: Uint8Array): Buffer {
    const cmd = Buffer.from(command);
    switch (cmd[1]) {
      case 0xa4:
        return SW_9000;
      case 0xe0:
        return concat(cmd.subarray(5, 5 + (cmd[4] ?? 0)), SW_9000);
      case 0xe2:
        return READ_256_RSP;
      default:
        return SW_6D00;
    }
  }
}

type Command = 'insert' | 'remove' | 'calls' | 'exit';
interface Reply {
  readonly done: Command;
  readonly calls: string[];
}

/** The card process seen from the test. */
export interface ToyCardProcess {
  /** Connect to vpcd (the card enters the slot); resolves once connected. */
  insert(): Promise<void>;
  /** Close the connection (the card leaves the slot); resolves once closed. */
  remove(): Promise<void>;
  /** What pcscd asked of the card so far (`powerOn`, `reset`, `powerOff`), then forget it. */
  takeCalls(): Promise<string[]>;
  /** Remove the card and end the process. */
  exit(): Promise<void>;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Start the card process for vpcd at `host:port`, card not yet inserted. */
export async function spawnToyCard(host: string, port: number): Promise<ToyCardProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [host, String(port)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let pending = Promise.resolve<unknown>(undefined);
  const ask = (cmd: Command): Promise<Reply> => {
    const next = pending.then(async () => {
      if (child.exitCode !== null) throw new Error(`toy card process exited with ${child.exitCode}`);
      const reply = once(child, 'message') as Promise<[Reply]>;
      child.send(cmd);
      const [answer] = await reply;
      return answer;
    });
    pending = next.catch(() => undefined);
    return next;
  };
  await once(child, 'spawn');
  return {
    insert: async () => void (await ask('insert')),
    remove: async () => void (await ask('remove')),
    takeCalls: async () => (await ask('calls')).calls,
    exit: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      await ask('exit').catch(() => undefined);
      await exited;
    },
  };
}

async function serve(host: string, port: number): Promise<void> {
  const card = new ToyCard();
  const link = new VpcdAdapter(card, { host, port, reconnectDelayMs: 50 });
  const reply = (done: Command): void => {
    process.send?.({ done, calls: done === 'calls' ? card.calls.splice(0) : [] } satisfies Reply);
  };
  process.on('message', (cmd: Command) => {
    void (async () => {
      if (cmd === 'insert') {
        link.start();
        await link.waitForConnection();
      } else if (cmd === 'remove' || cmd === 'exit') {
        await link.stop();
      }
      reply(cmd);
      if (cmd === 'exit') process.disconnect();
    })();
  });
  // If the test dies, leave the slot free for the next one.
  process.on('disconnect', () => void link.stop());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await serve(process.argv[2] ?? '127.0.0.2', Number(process.argv[3] ?? 35963));
}

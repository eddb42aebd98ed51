/**
 * A tap between a virtual card and vpcd, for tests that must pull a card at an exact command:
 * the card connects to the tap instead of vpcd, the tap relays both directions, and shows every
 * command APDU to `onCommand` before the card gets it. When `onCommand` answers `cut`, the
 * command never reaches the card and both connections close: to pcscd the card left the slot
 * while the terminal waited for its answer. After a cut the tap takes no new card (a card that
 * reconnects would be re-inserted).
 */
import net from 'node:net';
import { VpcdFrameDecoder, encodeVpcdFrame } from '@citycard/card-os';

export interface VpcdTapOptions {
  /** Where vpcd listens for this slot. */
  readonly vpcdHost: string;
  readonly vpcdPort: number;
  /** Sees each command APDU (never the 1-byte control frames); `cut` pulls the card instead. */
  readonly onCommand: (apdu: Buffer) => 'forward' | 'cut';
}

export class VpcdTap {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #cut = false;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  /** Listens on 127.0.0.1, on a port of the system's choosing. */
  static async listen(options: VpcdTapOptions): Promise<VpcdTap> {
    const server = net.createServer();
    const tap = new VpcdTap(server);
    server.on('connection', (card) => tap.#relay(card, options));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return tap;
  }

  /** The port the card connects to. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Whether a command was cut. */
  get cut(): boolean {
    return this.#cut;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #relay(card: net.Socket, options: VpcdTapOptions): void {
    if (this.#cut) {
      card.destroy();
      return;
    }
    const vpcd = net.connect({ host: options.vpcdHost, port: options.vpcdPort });
    for (const s of [card, vpcd]) {
      // Relayed frames must not wait on delayed ACKs (the 44 ms trap) any more than direct ones.
      s.setNoDelay(true);
      this.#sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.#sockets.delete(s);
        card.destroy();
        vpcd.destroy();
      });
    }
    const decoder = new VpcdFrameDecoder();
    vpcd.on('data', (chunk: Buffer) => {
      for (const payload of decoder.push(chunk)) {
        if (payload.length > 1 && options.onCommand(payload) === 'cut') {
          this.#cut = true;
          card.destroy();
          vpcd.destroy();
          return;
        }
        card.write(encodeVpcdFrame(payload));
      }
    });
    card.on('data', (chunk: Buffer) => vpcd.write(chunk));
  }
}


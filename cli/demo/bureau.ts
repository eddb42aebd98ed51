/**
 * The card bureau side of the demo, all through the backend's HTTP API: staff accounts, a
 * resident enrolled, a card applied for and approved, an issuance job the station personalizes,
 * the card issued and activated; a gate terminal registered and following the signed hotlist
 * over its server-sent-events stream.
 */
import { EMPTY_HOTLIST, applySignedHotlist, fromHex, type HotlistState } from '@citycard/protocols';
import { ApiSession, type BackendProcess } from './backendProcess.js';

const STAFF_PASSWORD = 'demo-password-0001';

export interface BureauStaff {
  readonly admin: ApiSession;
  readonly clerk: ApiSession;
  readonly supervisor: ApiSession;
}

/** Sign the admin in (first login: new password), create a clerk and a supervisor and sign them in. */
export async function openBureau(backend: BackendProcess): Promise<BureauStaff> {
  const admin = await ApiSession.staff(backend.url, 'admin', backend.adminOneTimePassword, STAFF_PASSWORD);
  const account = async (username: string, role: string, displayName: string): Promise<ApiSession> => {
    const created = await admin.request<{ oneTimePassword: string }>('POST', '/api/v1/staff', { username, role, displayName });
    return ApiSession.staff(backend.url, username, created.oneTimePassword, STAFF_PASSWORD);
  };
  return {
    admin,
    clerk: await account('clerk.wang', 'clerk', 'Wang Fang (clerk)'),
    supervisor: await account('sup.zhao', 'supervisor', 'Zhao Lei (supervisor)'),
  };
}

export interface Card {
  readonly id: string;
  readonly state: string;
  readonly cardNumber: string | null;
}

/** A gate's view of the hotlist: the signed stream applied to its local set. */
export class HotlistFollower {
  #state: HotlistState = EMPTY_HOTLIST;
  readonly #abort = new AbortController();
  readonly #waiters = new Set<() => void>();

  private constructor(private readonly publicKey: Buffer) {}

  /** Open the stream with the terminal's credential; resolves once the catch-up frame is applied. */
  static async follow(baseUrl: string, terminalToken: string): Promise<HotlistFollower> {
    const key = await (await fetch(new URL('/api/v1/hotlist/public-key', baseUrl))).json() as { publicKey: string };
    const follower = new HotlistFollower(fromHex(key.publicKey));
    const res = await fetch(new URL('/api/v1/hotlist/stream?since=0', baseUrl), {
      headers: { authorization: `Bearer ${terminalToken}`, accept: 'text/event-stream' },
      signal: follower.#abort.signal,
    });
    if (!res.ok || res.body === null) throw new Error(`hotlist stream refused: ${res.status}`);
    const first = new Promise<void>((resolve) => follower.#waiters.add(resolve));
    void follower.#read(res.body);
    await first;
    return follower;
  }

  has(cardNumber: string): boolean {
    return this.#state.cards.has(cardNumber);
  }

  get version(): number {
    return this.#state.version;
  }

  /** Resolves when the card is on the list (rejects after `timeoutMs`). */
  async waitFor(cardNumber: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.has(cardNumber)) {
      if (Date.now() > deadline) throw new Error(`card ${cardNumber} did not reach the hotlist`);
      await new Promise<void>((resolve) => {
        this.#waiters.add(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.#abort.abort();
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data === undefined) continue;
          this.#state = applySignedHotlist(this.#state, Buffer.from(data.slice(6), 'base64'), this.publicKey);
          for (const wake of this.#waiters) wake();
          this.#waiters.clear();
        }
      }
    } catch {
      // Aborted at the end of the demo.
    }
  }
}

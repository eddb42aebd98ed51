import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@citycard/protocols';
import { testProfileTacChecks } from '../../hsm-sim/src/bench/measureHsm.js';
import { clientProof, deriveAuthKey, parseToken } from '../../hsm-sim/src/auth/credentials.js';
import { HsmClient } from '../../hsm-sim/src/client/hsmClient.js';
import { BindAddressError, HsmAuthError, HsmForbiddenError, HsmKeyError, HsmRequestError } from '../../hsm-sim/src/errors.js';
import { FrameDecoder, encodeFrame } from '../../hsm-sim/src/protocol/framing.js';
import { HsmServer } from '../../hsm-sim/src/server/hsmServer.js';
import { LOAD_CHECK, LOAD_MAC2, PURCHASE_CHECK, type TestHsm, makeTestHsm } from './fixtures.js';

/** A bare protocol peer, for what a well-behaved client never sends. */
class RawPeer {
  readonly socket: Socket;
  readonly #decoder = new FrameDecoder();
  readonly #messages: unknown[] = [];
  readonly #waiters: ((m: unknown) => void)[] = [];
  readonly closed: Promise<void>;

  constructor(path: string) {
    this.socket = connect({ path });
    this.socket.on('data', (chunk: Buffer) => {
      for (const m of this.#decoder.push(chunk)) {
        const waiter = this.#waiters.shift();
        if (waiter === undefined) this.#messages.push(m);
        else waiter(m);
      }
    });
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  next(): Promise<Record<string, unknown>> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued as Record<string, unknown>);
    return new Promise((resolve) => this.#waiters.push((m) => resolve(m as Record<string, unknown>)));
  }

  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }

  /** Completes the handshake with a real token. */
  async authenticate(token: string): Promise<Record<string, unknown>> {
    const hello = await this.next();
    const { name, secret } = parseToken(token);
    const clientNonce = randomBytes(32);
    const proof = clientProof(deriveAuthKey(secret), Buffer.from(hello['nonce'] as string, 'hex'), clientNonce, name);
    this.send({ type: 'auth', client: name, nonce: clientNonce.toString('hex'), proof: proof.toString('hex') });
    return this.next();
  }
}

describe('HSM server on a unix socket', () => {
  let hsm: TestHsm;
  let server: HsmServer;
  let path: string;
  let clearingToken: string;
  let loadToken: string;
  beforeAll(async () => {
    hsm = makeTestHsm();
    clearingToken = (await hsm.as('admin').addClient({ name: 'clearing-1', role: 'clearing' })).token;
    loadToken = (await hsm.as('admin').addClient({ name: 'load-1', role: 'load' })).token;
    path = join(hsm.dir, 'hsm.sock');
    server = await HsmServer.start({ core: hsm.core, address: { path }, authTimeoutMs: 300 });
  });
  afterAll(async () => {
    await server.close();
    hsm.dispose();
  });

  it('creates the socket with mode 0600', () => {
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(server.address).toBe(`unix:${path}`);
  });

  it('serves an authenticated client its role, with the spec §8.2 answers', async () => {
    const clearing = await HsmClient.connect({ address: { path }, token: clearingToken });
    try {
      expect(clearing.identity).toEqual({ name: 'clearing-1', role: 'clearing' });
      expect(await clearing.ping()).toEqual({ client: 'clearing-1', role: 'clearing', time: '2026-11-23T09:30:00.000Z' });
      expect(await clearing.verifyPurchaseTac(PURCHASE_CHECK)).toBe(true);
      expect(await clearing.verifyPurchaseTac({ ...PURCHASE_CHECK, tac: fromHex('00000000') })).toBe(false);
    } finally {
      await clearing.close();
    }
    const load = await HsmClient.connect({ address: { path }, token: loadToken });
    try {
      const answer = await load.verifyLoadMac1AndIssueMac2(LOAD_CHECK);
      expect(answer.ok && toHex(answer.mac2)).toBe(toHex(LOAD_MAC2));
    } finally {
      await load.close();
    }
  });

  it('carries typed errors: role refusal, missing key, bad parameters', async () => {
    const clearing = await HsmClient.connect({ address: { path }, token: clearingToken });
    try {
      await expect(clearing.verifyLoadMac1AndIssueMac2(LOAD_CHECK)).rejects.toBeInstanceOf(HsmForbiddenError);
      await expect(clearing.verifyPurchaseTac({ ...PURCHASE_CHECK, keyVersion: 7 })).rejects.toBeInstanceOf(HsmKeyError);
      // Refused by the client before sending: a 7-byte card number.
      await expect(clearing.verifyPurchaseTac({ ...PURCHASE_CHECK, cardNumber: fromHex('10000000000000') })).rejects.toBeInstanceOf(HsmRequestError);
      expect(await clearing.ping()).toMatchObject({ role: 'clearing' });
    } finally {
      await clearing.close();
    }
  });

  it('validates parameters on the server too', async () => {
    const peer = new RawPeer(path);
    expect(await peer.authenticate(clearingToken)).toMatchObject({ type: 'welcome', role: 'clearing' });
    peer.send({ type: 'call', id: 7, command: 'verifyPurchaseTac', params: { cardNumber: '10', keyVersion: 1 } });
    expect(await peer.next()).toMatchObject({ type: 'error', id: 7, code: 'BAD_REQUEST' });
    peer.send({ type: 'call', id: 8, command: 'noSuchCommand', params: {} });
    expect(await peer.next()).toMatchObject({ type: 'error', id: 8, code: 'BAD_REQUEST', message: 'unknown command noSuchCommand' });
    peer.send({ type: 'call', id: 9, command: 'ping', params: {} });
    expect(await peer.next()).toMatchObject({ type: 'result', id: 9 });
    peer.socket.end();
    await peer.closed;
  });

  it('verifies a batch of mixed TACs and pipelined single calls over the socket', async () => {
    const clearing = await HsmClient.connect({ address: { path }, token: clearingToken });
    try {
      const checks = testProfileTacChecks(2000, 7);
      const verdicts = await clearing.verifyPurchaseTacs(checks);
      expect(verdicts.length).toBe(2000);
      verdicts.forEach((ok, i) => expect(ok, `check ${i}`).toBe(i % 7 !== 6));
      const singles = await Promise.all(checks.slice(0, 30).map((c) => clearing.verifyPurchaseTac(c)));
      expect(singles).toEqual(checks.slice(0, 30).map((_, i) => i % 7 !== 6));
    } finally {
      await clearing.close();
    }
  });

  it('refuses a wrong secret and an unknown client, alike, and audits both', async () => {
    const wrong = `clearing-1.${randomBytes(32).toString('base64url')}`;
    await expect(HsmClient.connect({ address: { path }, token: wrong })).rejects.toBeInstanceOf(HsmAuthError);
    const unknown = `nobody.${randomBytes(32).toString('base64url')}`;
    await expect(HsmClient.connect({ address: { path }, token: unknown })).rejects.toMatchObject({ message: 'authentication failed' });
    const refused = hsm.core.audit.entries().filter((e) => e.command === 'authenticate' && e.outcome === 'refused');
    expect(refused.map((e) => e.client)).toEqual(expect.arrayContaining(['clearing-1', 'nobody']));
  });

  it('answers a call before authentication with a refusal and closes the connection', async () => {
    const peer = new RawPeer(path);
    expect(await peer.next()).toMatchObject({ type: 'hello', protocol: 1 });
    peer.send({ type: 'call', id: 1, command: 'verifyPurchaseTac', params: {} });
    expect(await peer.next()).toEqual({ type: 'error', id: null, code: 'AUTH_FAILED', message: 'authenticate first' });
    await peer.closed;
    expect(hsm.core.audit.entries().at(-1)).toMatchObject({ command: 'authenticate', outcome: 'refused', detail: 'request before authentication' });
  });

  it('closes a connection that does not authenticate in time', async () => {
    const peer = new RawPeer(path);
    await peer.next();
    expect(await peer.next()).toMatchObject({ code: 'AUTH_FAILED', message: 'authentication timeout' });
    await peer.closed;
  });

  it('closes a connection that sends a malformed frame', async () => {
    const peer = new RawPeer(path);
    await peer.next();
    peer.socket.write(Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]));
    expect(await peer.next()).toMatchObject({ code: 'BAD_REQUEST', message: 'malformed frame' });
    await peer.closed;
  });

  it('refuses to start a second server on a live socket, or over a file that is not a socket', async () => {
    await expect(HsmServer.start({ core: hsm.core, address: { path } })).rejects.toThrow(/another process is listening/);
    const file = join(hsm.dir, 'not-a-socket');
    writeFileSync(file, 'keep me');
    await expect(HsmServer.start({ core: hsm.core, address: { path: file } })).rejects.toBeInstanceOf(BindAddressError);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });
});

describe('HSM server addresses', () => {
  let hsm: TestHsm;
  let token: string;
  beforeAll(async () => {
    hsm = makeTestHsm();
    token = (await hsm.as('admin').addClient({ name: 'terminal-1', role: 'terminal' })).token;
  });
  afterAll(() => hsm.dispose());

  it.each(['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'localhost', 'example.org', '127.0.0.2'])('refuses to bind %s', async (host) => {
    await expect(HsmServer.start({ core: hsm.core, address: { host, port: 0 } })).rejects.toBeInstanceOf(BindAddressError);
  });

  it('serves on 127.0.0.1 with TCP', async () => {
    const server = await HsmServer.start({ core: hsm.core, address: { host: '127.0.0.1', port: 0 } });
    try {
      expect(server.address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
      const client = await HsmClient.connect({ address: { host: '127.0.0.1', port: server.port! }, token });
      expect(await client.ping()).toMatchObject({ client: 'terminal-1', role: 'terminal' });
      expect((await client.caCertificate()).length).toBeGreaterThan(500);
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('removes its socket file when it stops', async () => {
    const path = join(hsm.dir, 'stop.sock');
    const server = await HsmServer.start({ core: hsm.core, address: { path } });
    expect(existsSync(path)).toBe(true);
    await server.close();
    expect(existsSync(path)).toBe(false);
  });
});

describe('HSM client against an impostor', () => {
  it('refuses a server that cannot prove it holds the credential', async () => {
    const impostor: Server = createServer((socket) => {
      socket.write(encodeFrame({ type: 'hello', protocol: 1, nonce: randomBytes(32).toString('hex') }));
      socket.once('data', () => socket.write(encodeFrame({ type: 'welcome', role: 'admin', proof: randomBytes(32).toString('hex') })));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', () => resolve()));
    const port = (impostor.address() as { port: number }).port;
    try {
      await expect(
        HsmClient.connect({ address: { host: '127.0.0.1', port }, token: `admin.${randomBytes(32).toString('base64url')}` }),
      ).rejects.toMatchObject({ name: 'HsmAuthError', message: 'the server could not prove it holds this credential: not the HSM' });
    } finally {
      impostor.close();
    }
  });

  it('reports an unreachable HSM as a transport error', async () => {
    await expect(
      HsmClient.connect({ address: { path: join(process.cwd(), 'no-such-hsm.sock') }, token: `a.${randomBytes(32).toString('base64url')}` }),
    ).rejects.toMatchObject({ name: 'HsmTransportError' });
  });
});

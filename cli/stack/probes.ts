import { readFile } from 'node:fs/promises';
import net from 'node:net';

/** True when something accepts a connection on the Unix socket within timeoutMs. */
export function socketAnswers(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const TCP_LISTEN = '0A';

/** Ports in LISTEN state in the text of /proc/net/tcp or /proc/net/tcp6 (header line first). */
export function parseListeningPorts(procNetTcp: string): number[] {
  const ports: number[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (local === undefined || fields[3] !== TCP_LISTEN) continue;
    ports.push(Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
  }
  return ports;
}

/**
 * TCP ports in LISTEN state in this network namespace. Read from /proc rather than probed,
 * because a connection to a vpcd port is a card insertion for pcscd.
 */
export async function listeningTcpPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const port of parseListeningPorts(await readFile(file, 'utf8'))) ports.add(port);
    } catch {
      // no IPv6 in this kernel or namespace
    }
  }
  return ports;
}

/**
 * What answers on a Redis port: `pong` (a usable Redis), `locked` (a Redis that wants AUTH or
 * refuses us in protected mode), `other` (something that does not speak Redis), `closed` (nothing).
 */
export type RedisProbe = 'pong' | 'locked' | 'other' | 'closed';

export function pingRedis(host: string, port: number, timeoutMs = 1_000): Promise<RedisProbe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = '';
    let settled = false;
    const done = (probe: RedisProbe): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => done('other'));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n')) return;
      if (reply.startsWith('+PONG')) done('pong');
      else if (/^-(NOAUTH|DENIED|WRONGPASS|NOPERM)/.test(reply)) done('locked');
      else done('other');
    });
    socket.once('end', () => done('other'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'closed' : 'other'));
  });
}

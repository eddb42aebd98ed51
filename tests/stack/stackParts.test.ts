import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QUICKACK_ROUTE_COMMAND, VPCD_CARD_HOST, VPCD_PORT_CARD, VPCD_PORT_PSAM } from '../../cli/stack/constants.js';
import { StateRecordError } from '../../cli/stack/errors.js';
import { formatDown, formatStatus, formatUp } from '../../cli/stack/format.js';
import { withLock } from '../../cli/stack/lock.js';
import { resolveStateDir, REPO_ROOT } from '../../cli/stack/paths.js';
import { isRecordedProcessAlive, parseStat, programName, readProcess } from '../../cli/stack/proc.js';
import { parseListeningPorts, pingRedis } from '../../cli/stack/probes.js';
import { readRecord, writeRecord } from '../../cli/stack/record.js';
import type { StackRecord } from '../../cli/stack/record.js';
import type { StackState, StackStatus } from '../../cli/stack/types.js';

// /proc/net/tcp with vpcd's two listeners (8C7B, 8C7C), Redis on 127.0.0.1:6379 (18EB) and one
// established connection from the card host to 35963 that must not count as a listener.
const PROC_NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000:8C7B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17362 1 0 100 0 0 10 0',
  '   1: 00000000:8C7C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17363 1 0 100 0 0 10 0',
  '   2: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17400 1 0 100 0 0 10 0',
  '   3: 0200007F:A3F0 0100007F:8C7B 01 00000000:00000000 00:00000000 00000000     0        0 17500 1 0 20 4 30 10 -1',
  '',
].join('\n');

// /proc/<pid>/stat of a process whose comm holds a space and a ')'; start time (field 22) 66659.
const STAT_ODD_COMM = '67 (odd) name) S 1 67 67 0 -1 4194560 170 0 0 0 0 0 0 0 20 0 3 0 66659 12345 678 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0';

describe('constants', () => {
  it('point cards at 127.0.0.2 on the two vpcd slots', () => {
    expect(VPCD_CARD_HOST).toBe('127.0.0.2');
    expect([VPCD_PORT_CARD, VPCD_PORT_PSAM]).toEqual([35963, 35964]);
    expect(QUICKACK_ROUTE_COMMAND).toBe(
      'ip route add local 127.0.0.2 dev lo table local proto static scope host src 127.0.0.2 quickack 1',
    );
  });
});

describe('parseListeningPorts', () => {
  it('returns LISTEN ports only', () => {
    expect(parseListeningPorts(PROC_NET_TCP)).toEqual([35963, 35964, 6379]);
  });

  it('returns nothing for a header alone', () => {
    expect(parseListeningPorts(PROC_NET_TCP.split('\n')[0] ?? '')).toEqual([]);
  });
});

describe('parseStat / programName', () => {
  it('counts fields after the last parenthesis', () => {
    expect(parseStat(STAT_ODD_COMM)).toEqual({ state: 'S', startTime: '66659' });
  });

  it('rejects text without a comm field', () => {
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('takes the first word of a rewritten title and drops the directory', () => {
    expect(programName(['redis-server 127.0.0.1:6379', '', ''])).toBe('redis-server');
    expect(programName(['/usr/sbin/pcscd', '--foreground', '--info'])).toBe('pcscd');
    expect(programName([])).toBeUndefined();
  });
});

describe('isRecordedProcessAlive', () => {
  it('accepts this process with its own start time and rejects another start time', async () => {
    const me = await readProcess(process.pid);
    expect(me).toBeDefined();
    const program = programName(me?.argv ?? []) ?? '';
    const base = { pid: process.pid, program, log: '', startedAt: '' };
    expect(await isRecordedProcessAlive({ ...base, startTime: me?.startTime ?? '' })).toBe(true);
    expect(await isRecordedProcessAlive({ ...base, startTime: '1' })).toBe(false);
    expect(await isRecordedProcessAlive({ ...base, startTime: me?.startTime ?? '', program: 'pcscd' })).toBe(false);
  });
});

describe('state dir and record', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'citycard-stack-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses CITYCARD_HOME, else .citycard in the repository root', () => {
    expect(resolveStateDir({ CITYCARD_HOME: dir })).toBe(dir);
    expect(resolveStateDir({})).toBe(path.join(REPO_ROOT, '.citycard'));
    expect(resolveStateDir({ CITYCARD_HOME: '' })).toBe(path.join(REPO_ROOT, '.citycard'));
  });

  it('round-trips a record and removes the file when it empties', async () => {
    const file = path.join(dir, 'stack.json');
    const record: StackRecord = {
      version: 1,
      pcscd: { pid: 67, program: 'pcscd', startTime: '66659', log: 'pcscd.log', startedAt: '2026-01-01T00:00:00.000Z' },
      route: { args: ['local', '127.0.0.2'], addedAt: '2026-01-01T00:00:00.000Z' },
    };
    await writeRecord(file, record);
    expect(await readRecord(file)).toEqual(record);
    await writeRecord(file, { version: 1 });
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readRecord(file)).toEqual({ version: 1 });
  });

  it('rejects a corrupt record', async () => {
    const file = path.join(dir, 'stack.json');
    await writeFile(file, '{"version":1,"pcscd":{"pid":-4}}');
    await expect(readRecord(file)).rejects.toBeInstanceOf(StateRecordError);
  });

  it('takes over a lock left by a dead process and releases it', async () => {
    const lock = path.join(dir, 'stack.lock');
    await writeFile(lock, '2147483646'); // above pid_max: no such process
    expect(await withLock(lock, 1_000, async () => (await readFile(lock, 'utf8')).trim())).toBe(String(process.pid));
    await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives up on a lock held by a live process', async () => {
    const lock = path.join(dir, 'stack.lock');
    await writeFile(lock, String(process.pid));
    await expect(withLock(lock, 200, async () => 'ran')).rejects.toBeInstanceOf(StateRecordError);
  });
});

describe('pingRedis', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function serve(reply: string | undefined): Promise<number> {
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        if (reply !== undefined) socket.end(reply);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }

  it('tells a Redis, a locked Redis, a stranger and a closed port apart', async () => {
    expect(await pingRedis('127.0.0.1', await serve('+PONG\r\n'))).toBe('pong');
    expect(await pingRedis('127.0.0.1', await serve('-NOAUTH Authentication required.\r\n'))).toBe('locked');
    expect(await pingRedis('127.0.0.1', await serve('HTTP/1.1 400 Bad Request\r\n\r\n'))).toBe('other');
    expect(await pingRedis('127.0.0.1', await serve(undefined), 200)).toBe('other');
    const closed = await serve(undefined);
    await new Promise((r) => servers.pop()?.close(r));
    expect(await pingRedis('127.0.0.1', closed)).toBe('closed');
  });
});

describe('format', () => {
  const STATUS: StackStatus = {
    stateDir: '/state',
    pcscd: { running: true, owner: 'ours', pid: 67, vpcdReaders: true },
    redis: { running: true, owner: 'external', pid: undefined },
    route: { present: false, owner: undefined, conflicting: false },
  };

  it('prints one line per component', () => {
    expect(formatStatus(STATUS)).toEqual([
      'pcscd  running, started by us (pid 67); vpcd readers listening on 35963, 35964',
      'redis  running, external',
      'route  quickack fix absent: APDUs take ~44 ms',
      'state  /state',
    ]);
  });

  it('prints what up started and its warnings', () => {
    const state: StackState = { ...STATUS, started: ['pcscd'], warnings: ['no route'] };
    expect(formatUp(state)).toEqual(['started: pcscd', ...formatStatus(STATUS), 'warning: no route']);
    expect(formatUp({ ...state, started: [], warnings: [] })[0]).toBe('stack already up: nothing started');
  });

  it('prints what down stopped', () => {
    expect(formatDown({ stateDir: '/state', stopped: ['pcscd', 'route'] })).toEqual(['stopped: pcscd, route']);
    expect(formatDown({ stateDir: '/state', stopped: [] })).toEqual(['nothing of ours was running']);
  });
});

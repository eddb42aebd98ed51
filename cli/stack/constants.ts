/**
 * Fixed addresses of the local stack. Virtual cards (card-os) connect to vpcd at VPCD_CARD_HOST;
 * terminals reach pcscd through its Unix socket and the backend reaches Redis on loopback.
 */

/**
 * Loopback address the virtual cards connect to. All of 127/8 is local on Linux, so a card works
 * here without the quickack route; the route only removes vpcd's ~44 ms Nagle/delayed-ACK stall.
 */
export const VPCD_CARD_HOST = '127.0.0.2';

/** vpcd slot 0, reader "Virtual PCD 00 00": the citizen card. */
export const VPCD_PORT_CARD = 35963;

/** vpcd slot 1, reader "Virtual PCD 00 01": the PSAM. */
export const VPCD_PORT_PSAM = 35964;

export const VPCD_PORTS: readonly number[] = [VPCD_PORT_CARD, VPCD_PORT_PSAM];

/** PC/SC reader names pcscd gives the two vpcd slots, in slot order. */
export const VPCD_READER_NAMES: readonly string[] = ['Virtual PCD 00 00', 'Virtual PCD 00 01'];

/** pcscd's client socket; pcscd always creates it here (it ignores PCSCLITE_CSOCK_NAME). */
export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;

/**
 * `ip route` arguments of the latency fix, after `ip route add` / `ip route del`: a host route for
 * VPCD_CARD_HOST with quickack, so the card's kernel ACKs vpcd's 2-byte length at once.
 */
export const QUICKACK_ROUTE_ARGS: readonly string[] = [
  'local', VPCD_CARD_HOST, 'dev', 'lo', 'table', 'local',
  'proto', 'static', 'scope', 'host', 'src', VPCD_CARD_HOST, 'quickack', '1',
];

/** The same route as a human-readable command, for messages and status. */
export const QUICKACK_ROUTE_COMMAND = `ip route add ${QUICKACK_ROUTE_ARGS.join(' ')}`;

/** Default bound on waiting for a started component to become ready. */
export const READY_TIMEOUT_MS = 10_000;

/** How long `down` waits for a process to exit after SIGTERM (pcscd needs about 1.6 s). */
export const STOP_TIMEOUT_MS = 5_000;

/** The apt packages the stack needs; scripts/bootstrap.mjs installs the same list. */
export const APT_PACKAGES: readonly string[] = [
  'pcscd', 'libpcsclite-dev', 'vsmartcard-vpcd', 'pcsc-tools', 'redis-server', 'iproute2', 'chromium',
];

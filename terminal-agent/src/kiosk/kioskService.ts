/**
 * The kiosk's flows, one citizen at a time, behind the JSON API its page calls:
 *
 * - `tap()`        wait for a card; power it on; SELECT ID, card info, certificate verified
 *                  offline against the city CA, card authentication with a fresh challenge; the
 *                  local hotlist; the PIN's tries left                        → phase pin / pinBlocked
 * - `enterPin()`   VERIFY on the card, then cardholder authentication against a backend nonce
 *                  and the backend's signed assertion (confirmIdentity.ts)    → phase ready
 * - `purse()`      balance and the card's last transactions (EF 0x18)
 * - `topUp()`      an online load (kioskTopUp.ts)
 * - `accessLog()`  who read the cardholder's data, by the backend's assertion
 * - `changePin()`  CHANGE REFERENCE DATA with the old and new PIN
 * - `end()`        the session ends; the same card is not taken up again until it left the slot
 * - `status()`     the session as the page shows it; notices a card taken out or a session idle
 *                  for too long and ends it
 *
 * Card operations run one at a time. A PIN goes to the card only: it is neither kept nor logged.
 * Every method but `status()` throws `KioskError` (see kioskErrors.ts) for what the citizen must
 * be told; the session ends on CARD_REMOVED, SESSION_TIMEOUT, CARD_HOTLISTED and IDENTITY_REFUSED.
 */
import type { X509Certificate } from 'node:crypto';
import { changeReferenceDataCommand } from '@citycard/protocols';
import { ApduChannel } from '../channel/apduChannel.js';
import type { TraceLogger } from '../channel/traceLogger.js';
import { ID_RULE, WrongPinError } from '../id/errors.js';
import { loadCaCertificate } from '../id/cardCertificate.js';
import { IdentitySession } from '../id/identitySession.js';
import { BusinessRuleError } from '../errors.js';
import type { PurseLoadCustodian } from '../purse/custodianPorts.js';
import { terminalBytes } from '../purse/purseSteps.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { type KioskCardSource, isCardTransport, isPresent, slotCardSource, waitForRemoval } from './cardSource.js';
import { confirmIdentity } from './confirmIdentity.js';
import type { AccessLogEntryView, KioskBackend } from './kioskBackend.js';
import { KioskError, type KioskErrorCode, kioskErrorOf } from './kioskErrors.js';
import { type KioskLogger, maskCardNumberOf } from './kioskLogger.js';
import { CardSession, type KioskPhase, type SessionEnd, type SessionView } from './kioskSession.js';
import { type LoadRecordSink, type TopUpResult, topUp } from './kioskTopUp.js';
import { type PurseView, readPurse } from './purseView.js';

/** Top-up amounts offered by default, fen: ¥20, ¥50, ¥100. */
export const DEFAULT_TOP_UP_AMOUNTS: readonly number[] = [2000, 5000, 10_000];
/** A session unused this long ends (default), ms. */
export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;
/** How long one `tap()` waits for a card before answering `waiting` (default), ms. */
export const DEFAULT_CARD_WAIT_MS = 15_000;

export interface KioskServiceOptions {
  /** The card slot: a transport (its presence is watched) or a source that waits for a card (a reader manager). */
  readonly card: CardTransport | KioskCardSource;
  /** The city CA certificate (PEM, DER or parsed): card certificates are checked against it offline. */
  readonly caCertificate: X509Certificate | string | Uint8Array;
  readonly backend: KioskBackend;
  /** Service point named in nonces and assertions: 1 to 64 of `A-Z a-z 0-9 . _ : -`. */
  readonly servicePoint: string;
  /** This kiosk's terminal number: 12 digits, as registered with the backend; loads carry it. */
  readonly terminalNumber: string;
  /** The load custodian (HSM client of role `load`); without it the kiosk offers no top-up. */
  readonly loadCustodian?: PurseLoadCustodian | undefined;
  /** Where load records go (a `RecordStore` fits). */
  readonly loadRecords?: LoadRecordSink | undefined;
  /** The terminal's hotlist: listed cards are refused at the tap and at a load. */
  readonly isHotlisted?: ((cardNumber: string) => boolean) | undefined;
  /** Amounts offered, fen, each 1 to 2^32-1 (default ¥20, ¥50, ¥100). */
  readonly topUpAmounts?: readonly number[] | undefined;
  /** Clock of certificate checks, loads and idle time (default: the system clock). */
  readonly clock?: (() => Date) | undefined;
  /** IANA zone of the load date and time (default: the process's zone). */
  readonly timeZone?: string | undefined;
  readonly idleTimeoutMs?: number | undefined;
  readonly cardWaitMs?: number | undefined;
  readonly logger?: KioskLogger | undefined;
  /** Receives every APDU at trace level (PINs masked). */
  readonly apduLogger?: TraceLogger | undefined;
}

const SERVICE_POINT = /^[A-Za-z0-9._:-]{1,64}$/;

export class KioskService {
  readonly #options: KioskServiceOptions;
  readonly #source: KioskCardSource;
  readonly #ca: X509Certificate;
  readonly #clock: () => Date;
  readonly #amounts: readonly number[];
  readonly #closing = new AbortController();
  #queue: Promise<unknown> = Promise.resolve();
  #session: CardSession | undefined;
  /** The card of the last session, until it has left the slot. */
  #leaving: CardTransport | undefined;
  #ended: SessionEnd | undefined;
  #waiting: Promise<CardTransport | undefined> | undefined;

  /**
   * Throws `IdentityCryptoError` for an unusable CA certificate, `CommandParameterError` for a bad
   * terminal number, `RangeError` for a bad service point or top-up amount.
   */
  constructor(options: KioskServiceOptions) {
    if (!SERVICE_POINT.test(options.servicePoint)) throw new RangeError('service point is 1 to 64 of A-Z a-z 0-9 . _ : -');
    terminalBytes(options.terminalNumber);
    const amounts = options.topUpAmounts ?? DEFAULT_TOP_UP_AMOUNTS;
    if (amounts.some((a) => !Number.isInteger(a) || a < 1 || a > 0xffffffff)) throw new RangeError('a top-up amount is 1 to 4294967295 fen');
    this.#options = options;
    this.#source = isCardTransport(options.card) ? slotCardSource(options.card) : options.card;
    this.#ca = loadCaCertificate(options.caCertificate);
    this.#clock = options.clock ?? (() => new Date());
    this.#amounts = [...amounts];
  }

  /** Wait (up to cardWaitMs) for a card and check it; the current session when there is one. */
  async tap(): Promise<SessionView> {
    const current = this.#session;
    if (current !== undefined) {
      if (await isPresent(current.transport)) return this.#view();
      this.#drop(current, 'removed');
    }
    const transport = await this.#waitForCard();
    if (transport === undefined) return { ...this.#view(), waiting: true };
    return this.#serial(async () => {
      if (this.#session === undefined) await this.#open(transport);
      return this.#view();
    });
  }

  /** Present `pin` (4 to 8 digits) to the card, then confirm the cardholder with the backend. */
  enterPin(pin: string): Promise<SessionView> {
    return this.#withSession(['pin'], async (s) => {
      try {
        await s.identity.verifyPin(pin);
      } catch (err) {
        if (err instanceof WrongPinError) s.pin = { triesLeft: err.triesLeft, blocked: false };
        if (err instanceof BusinessRuleError && err.reason === ID_RULE.PIN_BLOCKED) this.#pinBlocked(s);
        if (err instanceof WrongPinError || s.phase === 'pinBlocked') this.#log('info', s, 'PIN refused');
        throw err;
      }
      // Services open only once the cardholder is confirmed (or known offline); until then the PIN is asked again.
      await confirmIdentity({ backend: this.#options.backend, servicePoint: this.#options.servicePoint, clock: this.#clock }, s);
      s.phase = 'ready';
      s.pin = { triesLeft: null, blocked: false };
      this.#log('info', s, s.offline ? 'cardholder verified by card and PIN; backend unreachable' : 'cardholder confirmed by the backend');
      return this.#view();
    });
  }

  /** Balance and last transactions, read from the card. */
  purse(): Promise<PurseView> {
    return this.#withSession(['ready'], (s) => readPurse(s.channel));
  }

  /** Load one of the offered amounts (fen) onto the card. */
  topUp(amount: number): Promise<TopUpResult> {
    return this.#withSession(['ready'], async (s) => {
      const custodian = this.#options.loadCustodian;
      if (custodian === undefined) throw new KioskError('TOPUP_UNAVAILABLE', 'this kiosk does not load cards');
      if (!this.#amounts.includes(amount)) throw new KioskError('TOPUP_AMOUNT', 'this kiosk does not offer that amount');
      if (s.offline) throw new KioskError('OFFLINE', 'top-up needs the city systems');
      const result = await topUp(
        {
          card: s.channel,
          custodian,
          terminal: this.#options.terminalNumber,
          clock: this.#clock,
          timeZone: this.#options.timeZone,
          isHotlisted: this.#options.isHotlisted,
          records: this.#options.loadRecords,
          logger: this.#options.logger,
        },
        amount,
      );
      this.#log('info', s, 'top-up loaded', { amount, confirmed: result.confirmed });
      return result;
    });
  }

  /** Who read the cardholder's personal data, newest first. */
  accessLog(): Promise<{ entries: readonly AccessLogEntryView[] }> {
    return this.#withSession(['ready'], async (s) => {
      if (s.offline || s.assertion === undefined) throw new KioskError('OFFLINE', 'the data-access log needs the city systems');
      // The log is shown only to the citizen whose card is still in the slot.
      if (!(await isPresent(s.transport))) throw new KioskError('CARD_REMOVED', 'the card was taken out');
      return { entries: await this.#options.backend.accessLog(s.assertion) };
    });
  }

  /** CHANGE REFERENCE DATA: `oldPin` and `newPin` 4 to 8 digits, and different. */
  changePin(oldPin: string, newPin: string): Promise<{ changed: true }> {
    return this.#withSession(['ready'], async (s) => {
      const command = changeReferenceDataCommand(oldPin, newPin);
      if (oldPin === newPin) throw new KioskError('PIN_FORMAT', 'the new PIN must differ from the current one', { reason: 'PIN_UNCHANGED' });
      await s.identity.selectApplication();
      const result = await s.channel.send(command);
      if (result.ok) {
        this.#log('info', s, 'PIN changed');
        return { changed: true as const };
      }
      this.#log('info', s, 'PIN change refused');
      if (result.blocked) {
        this.#pinBlocked(s);
        throw new KioskError('PIN_BLOCKED', 'the PIN is blocked');
      }
      throw new KioskError('PIN_WRONG', 'the current PIN is wrong', { triesLeft: result.triesLeft });
    });
  }

  /** End the session (the citizen is done); the card must leave the slot before the next tap takes one. */
  end(): Promise<SessionView> {
    return this.#serial(async () => {
      const s = this.#session;
      if (s !== undefined) this.#finish(s, 'finished');
      return this.#view();
    });
  }

  /** The session as the page shows it, after noticing a removed card or an idle session. Never throws. */
  async status(): Promise<SessionView> {
    const s = this.#session;
    if (s !== undefined) {
      if (this.#idle(s)) this.#drop(s, 'timeout');
      else if (!(await isPresent(s.transport))) this.#drop(s, 'removed');
    }
    const leaving = this.#leaving;
    if (this.#session === undefined && leaving !== undefined && !(await isPresent(leaving))) this.#leaving = undefined;
    return this.#view();
  }

  /** Stop waiting for cards and let the operation in flight finish. The card transport stays the caller's. */
  async close(): Promise<void> {
    this.#closing.abort(new KioskError('INTERNAL', 'the kiosk is closing'));
    await this.#queue;
    this.#session = undefined;
  }

  #waitForCard(): Promise<CardTransport | undefined> {
    this.#waiting ??= this.#nextCard().finally(() => {
      this.#waiting = undefined;
    });
    return this.#waiting;
  }

  async #nextCard(): Promise<CardTransport | undefined> {
    // The wait ends when the kiosk closes or the tap's time is up, whichever comes first.
    const wait = new AbortController();
    const signal = wait.signal;
    const stop = (): void => wait.abort();
    const timer = setTimeout(stop, this.#options.cardWaitMs ?? DEFAULT_CARD_WAIT_MS);
    this.#closing.signal.addEventListener('abort', stop, { once: true });
    if (this.#closing.signal.aborted) stop();
    try {
      for (;;) {
        const { transport } = await this.#source.waitForCard(signal);
        if (this.#leaving !== transport) {
          this.#leaving = undefined;
          return transport;
        }
        await waitForRemoval(transport, signal);
        this.#leaving = undefined;
      }
    } catch (err) {
      if (signal.aborted) return undefined;
      throw kioskErrorOf(err);
    } finally {
      clearTimeout(timer);
      this.#closing.signal.removeEventListener('abort', stop);
    }
  }

  async #open(transport: CardTransport): Promise<void> {
    try {
      await transport.powerOn();
      const channel = new ApduChannel(transport, { logger: this.#options.apduLogger, clock: this.#clock });
      const identity = new IdentitySession(channel, { caCertificate: this.#ca, clock: this.#clock });
      const { cardInfo, certificate } = await identity.authenticate();
      if (this.#options.isHotlisted?.(cardInfo.cardNumber) === true) {
        throw new KioskError('CARD_HOTLISTED', 'the card is on the hotlist', { reason: 'CARD_HOTLISTED' });
      }
      const pin = await identity.pinStatus();
      const pinView = pin.verified ? { triesLeft: null, blocked: false } : { triesLeft: pin.triesLeft, blocked: pin.blocked };
      const s = new CardSession({ transport, channel, identity, cardInfo, certificate, pin: pinView, now: this.#clock().getTime() });
      this.#session = s;
      this.#ended = undefined;
      this.#log('info', s, 'genuine card identified', { phase: s.phase });
    } catch (err) {
      const error = kioskErrorOf(err);
      // A card refused here stays refused: do not take it up again until it has left the slot.
      if (error.code !== 'CARD_REMOVED') this.#leaving = transport;
      this.#ended = undefined;
      this.#options.logger?.info({ code: error.code, reason: error.details.reason }, 'card refused at the tap');
      throw error;
    }
  }

  #withSession<T>(phases: readonly KioskPhase[], run: (s: CardSession) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      const s = this.#session;
      if (s === undefined) {
        throw this.#ended === 'timeout'
          ? new KioskError('SESSION_TIMEOUT', 'the session ended after a time without use')
          : new KioskError('NO_SESSION', 'insert your card first');
      }
      if (this.#idle(s)) {
        this.#drop(s, 'timeout');
        throw new KioskError('SESSION_TIMEOUT', 'the session ended after a time without use');
      }
      if (!phases.includes(s.phase)) throw new KioskError('NO_SESSION', `not possible now (${s.phase})`);
      s.lastUsed = this.#clock().getTime();
      try {
        return await run(s);
      } catch (err) {
        const error = kioskErrorOf(err);
        if (error.code === 'CARD_REMOVED') this.#drop(s, 'removed');
        if (ENDS_SESSION.has(error.code)) this.#finish(s, 'refused');
        if (error.code === 'INTERNAL') this.#options.logger?.error({ err: error.cause }, 'kiosk operation failed');
        throw error;
      } finally {
        s.lastUsed = this.#clock().getTime();
      }
    });
  }

  #pinBlocked(s: CardSession): void {
    s.phase = 'pinBlocked';
    s.pin = { triesLeft: 0, blocked: true };
  }

  #idle(s: CardSession): boolean {
    return this.#clock().getTime() - s.lastUsed > (this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  }

  /** End `s` (if still current) because the card left or it sat idle. */
  #drop(s: CardSession, why: 'removed' | 'timeout'): void {
    if (this.#session !== s) return;
    this.#finish(s, why);
    this.#log('info', s, why === 'removed' ? 'card taken out; session ended' : 'session ended after a time without use');
  }

  #finish(s: CardSession, why: SessionEnd): void {
    if (this.#session !== s) return;
    this.#session = undefined;
    this.#leaving = s.transport;
    this.#ended = why;
  }

  #view(): SessionView {
    const s = this.#session;
    const common = { topUpAmounts: this.#amounts };
    if (s === undefined) {
      return {
        phase: 'idle',
        offline: false,
        services: { topUp: false, accessLog: false },
        ...common,
        takeCard: this.#leaving !== undefined,
        ...(this.#ended === undefined ? {} : { ended: this.#ended }),
      };
    }
    const ready = s.phase === 'ready';
    return {
      phase: s.phase,
      card: s.card,
      ...(ready ? {} : { pin: s.pin }),
      ...(s.holder === undefined ? {} : { holder: s.holder }),
      offline: s.offline,
      services: {
        topUp: ready && !s.offline && this.#options.loadCustodian !== undefined,
        accessLog: ready && !s.offline && s.assertion !== undefined,
      },
      ...common,
      takeCard: false,
    };
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #log(level: 'info' | 'warn', s: CardSession, msg: string, extra: Record<string, unknown> = {}): void {
    this.#options.logger?.[level]({ card: maskCardNumberOf(s.cardNumber), ...extra }, msg);
  }
}

const ENDS_SESSION: ReadonlySet<KioskErrorCode> = new Set(['CARD_HOTLISTED', 'IDENTITY_REFUSED']);

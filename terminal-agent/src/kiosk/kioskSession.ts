/**
 * One citizen's session at the kiosk: the card in the slot, its identity session, how far the
 * citizen has come (PIN entered, identity confirmed), and the views the kiosk page shows. The
 * PIN itself is never kept here: it goes to the card and is forgotten.
 */
import type { X509Certificate } from 'node:crypto';
import { CARD_TYPE, type CardInfo } from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import type { IdentitySession } from '../id/identitySession.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { isoDate } from './purseView.js';

/**
 * - `idle`: no card session (waiting for a card, or the last one ended)
 * - `pin`: a genuine card is in; the PIN is asked
 * - `pinBlocked`: the card's PIN has no try left
 * - `ready`: PIN accepted; services open
 */
export type KioskPhase = 'idle' | 'pin' | 'pinBlocked' | 'ready';

/** How the last session ended. */
export type SessionEnd = 'finished' | 'removed' | 'timeout' | 'refused';

export interface CardView {
  /** 16 digits (the page masks all but the last four). */
  readonly cardNumber: string;
  /** A CARD_TYPE name (`adult`, `student`, ...) or `unknown`. */
  readonly cardType: string;
  /** `YYYY-MM-DD`. */
  readonly validFrom: string;
  /** `YYYY-MM-DD`. */
  readonly validUntil: string;
  /** Common name of the CA that issued the card certificate (verified offline). */
  readonly issuer: string;
}

export interface PinView {
  /** Tries left; null when the card does not say. */
  readonly triesLeft: number | null;
  readonly blocked: boolean;
}

export interface HolderView {
  readonly name: string;
  readonly servicePoint: string;
  /** When the backend's assertion expires (ISO 8601); absent offline. */
  readonly expiresAt?: string;
  /** `backend`: the city's signed assertion; `card`: offline, the name as the card stores it. */
  readonly confirmedBy: 'backend' | 'card';
}

export interface SessionView {
  readonly phase: KioskPhase;
  readonly card?: CardView;
  readonly pin?: PinView;
  readonly holder?: HolderView;
  /** The city systems were unreachable when the identity was confirmed: card-only services. */
  readonly offline: boolean;
  readonly services: { readonly topUp: boolean; readonly accessLog: boolean };
  /** Fen. */
  readonly topUpAmounts: readonly number[];
  /** Phase idle: how the last session ended, if one did. */
  readonly ended?: SessionEnd;
  /** Phase idle: the last card is still in the slot and must be taken out first. */
  readonly takeCard: boolean;
  /** Answer of a tap whose waiting time passed without a card: tap again. */
  readonly waiting?: boolean;
}

export class CardSession {
  readonly transport: CardTransport;
  readonly channel: ApduChannel;
  readonly identity: IdentitySession;
  readonly certificate: X509Certificate;
  readonly card: CardView;
  phase: Exclude<KioskPhase, 'idle'>;
  pin: PinView;
  holder: HolderView | undefined;
  /** The backend's compact JWS for this cardholder, once confirmed online. */
  assertion: string | undefined;
  offline = false;
  lastUsed: number;

  constructor(init: {
    transport: CardTransport;
    channel: ApduChannel;
    identity: IdentitySession;
    cardInfo: CardInfo;
    certificate: X509Certificate;
    pin: PinView;
    now: number;
  }) {
    this.transport = init.transport;
    this.channel = init.channel;
    this.identity = init.identity;
    this.certificate = init.certificate;
    this.card = cardView(init.cardInfo, init.certificate);
    this.pin = init.pin;
    this.phase = init.pin.blocked ? 'pinBlocked' : 'pin';
    this.lastUsed = init.now;
  }

  get cardNumber(): string {
    return this.card.cardNumber;
  }
}

function cardView(info: CardInfo, certificate: X509Certificate): CardView {
  const type = Object.entries(CARD_TYPE).find(([, v]) => v === info.cardType)?.[0] ?? 'unknown';
  return {
    cardNumber: info.cardNumber,
    cardType: type,
    validFrom: isoDate(info.effectiveDate),
    validUntil: isoDate(info.expiryDate),
    issuer: commonName(certificate.issuer),
  };
}

// Node prints a distinguished name one attribute per line.
function commonName(dn: string): string {
  return dn.split('\n').map((line) => /^CN=(.*)$/.exec(line)?.[1]).find((cn) => cn !== undefined) ?? dn.replace(/\n/g, ', ');
}

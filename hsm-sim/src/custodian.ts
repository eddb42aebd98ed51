/**
 * What the other components need from the key custodian, as ports split by role so that each
 * consumer depends on only what it uses (clearing on `TacVerifier`, the load service on
 * `LoadAuthorizer`, the bureau on `PersonalizationCrypto` and `CertificateSigner`).
 * `HsmClient` implements `KeyCustodian` over the socket; `LocalHsm` implements it in-process over
 * the same command code (tests, single-process demos). Either way, roles are enforced and every
 * call is audited, and no clear key crosses this interface.
 *
 * Byte conventions as in the card interface: card numbers 8 bytes BCD, terminals 6 bytes, dates
 * 4 bytes BCD, times 3 bytes BCD, randoms 4 bytes, MACs and TACs 4 bytes; amounts and balances
 * 0 to 2^32-1, counters 0 to 65535, key versions 1 to 255, transaction types 0 to 255.
 */
import type { ClientIdentity, Role } from './auth/roles.js';
import type { KeyInfo, KeyUsage } from './keystore/keyRecord.js';

/** A key by label and version (1 to 255). */
export interface KeyId {
  readonly label: string;
  readonly version: number;
}

export interface GenerateKeyInput extends KeyId {
  /** A 2-key 3DES key of one of these usages (the CA key is created at initialisation). */
  readonly usage: Exclude<KeyUsage, 'ca'>;
  /** Whether it may leave the HSM wrapped under a KEK; default false. */
  readonly exportable?: boolean;
}

/** A clear key component with the check value its custodian wrote beside it (6 hex digits). */
export interface KeyComponent {
  /** 16 bytes. */
  readonly value: Uint8Array;
  readonly kcv: string;
}

export interface ImportKeyInput extends GenerateKeyInput {
  /** One or more components, XORed together; each must match its own check value. */
  readonly components: readonly KeyComponent[];
  /** Check value of the combined key, when known; a mismatch refuses the import. */
  readonly kcv?: string;
}

/** A key as it leaves the HSM: `wrapped = 3DES-ECB(KEK, key)` (16 bytes) and the key's KCV. */
export interface WrappedKey {
  readonly wrapped: Buffer;
  readonly kcv: string;
}

export interface ExportKeyInput {
  readonly key: KeyId;
  /** A key of usage `kek`. */
  readonly kek: KeyId;
}

export interface DiversifyCardKeysInput {
  /** 8 bytes BCD. */
  readonly cardNumber: Uint8Array;
  /** Version of MPK, MLK, MTK and MAMK to diversify from. */
  readonly keyVersion: number;
  /** When given, each card key is also returned wrapped under this KEK. */
  readonly kek?: KeyId;
}

/** The card keys of one card: check values, and wrapped values when a KEK was given. */
export interface DiversifiedCardKeys {
  readonly DPK: { readonly kcv: string; readonly wrapped?: Buffer };
  readonly DLK: { readonly kcv: string; readonly wrapped?: Buffer };
  readonly DTK: { readonly kcv: string; readonly wrapped?: Buffer };
  readonly DAMK: { readonly kcv: string; readonly wrapped?: Buffer };
}

/** The card's INITIALIZE FOR LOAD answer and the host's date and time, for MAC1 and MAC2. */
export interface LoadMac1Check {
  readonly cardNumber: Uint8Array;
  readonly keyVersion: number;
  /** Card random, 4 bytes. */
  readonly random: Uint8Array;
  /** Online counter before the load. */
  readonly onlineCounter: number;
  /** Balance before the load. */
  readonly balance: number;
  readonly amount: number;
  readonly terminal: Uint8Array;
  /** Default `02` (EP load). */
  readonly type?: number;
  /** Host date and time that MAC2 will cover. */
  readonly date: Uint8Array;
  readonly time: Uint8Array;
  readonly mac1: Uint8Array;
}

/** MAC2 when MAC1 verified; `{ ok: false }` (no MAC2) when it did not. */
export type LoadAuthorization = { readonly ok: true; readonly mac2: Buffer } | { readonly ok: false };

export interface LoadTacCheck {
  readonly cardNumber: Uint8Array;
  readonly keyVersion: number;
  readonly newBalance: number;
  /** Online counter before the load. */
  readonly onlineCounter: number;
  readonly amount: number;
  readonly terminal: Uint8Array;
  readonly type?: number;
  readonly date: Uint8Array;
  readonly time: Uint8Array;
  readonly tac: Uint8Array;
}

export interface PurchaseTacCheck {
  readonly cardNumber: Uint8Array;
  readonly keyVersion: number;
  readonly amount: number;
  readonly terminal: Uint8Array;
  /** Terminal transaction sequence number, 0 to 2^32-1. */
  readonly ttsn: number;
  /** Default `06` (EP purchase). */
  readonly type?: number;
  readonly date: Uint8Array;
  readonly time: Uint8Array;
  readonly tac: Uint8Array;
}

export interface SignCardCertificateInput {
  readonly cardNumber: Uint8Array;
  /** RSA-2048 modulus as GENERATE KEY PAIR returns it (256 bytes); the exponent is 65537. */
  readonly modulus: Uint8Array;
}

/** Blank citizen card (personalized with keys diversified by its number) or blank PSAM. */
export type PersonalizationTarget =
  | { readonly kind: 'card'; readonly cardNumber: Uint8Array }
  | { readonly kind: 'psam' };

export interface StartPersonalizationInput {
  readonly target: PersonalizationTarget;
  /** Version of MTRK the blank card's transport key comes from; default 1. */
  readonly transportKeyVersion?: number;
}

export interface PersonalizationStart {
  /** Opaque session handle, bound to the calling client. */
  readonly session: string;
  /** RH for INITIALIZE PERSONALIZATION, 8 bytes. */
  readonly hostRandom: Buffer;
}

export interface OpenPersonalizationInput {
  readonly session: string;
  /** From the card's INITIALIZE PERSONALIZATION response, 8 bytes each. */
  readonly csn: Uint8Array;
  readonly cardRandom: Uint8Array;
  readonly cardCryptogram: Uint8Array;
}

export interface WrapPutKeyInput {
  readonly session: string;
  /** Card: 01 DPK, 02 DLK, 03 DTK, 04 DAMK; PSAM: 11 MPK, 14 MAMK. */
  readonly keyId: number;
  /** Version of the master key (and P1 of PUT KEY). */
  readonly keyVersion: number;
}

export interface WrapStoreDataInput {
  readonly session: string;
  /** Object id, 2 bytes as a number (e.g. 0x0103 the certificate); PIN and PUK are refused. */
  readonly object: number;
  /** Offset of `data` in the object; default 0. */
  readonly offset?: number;
  /** Non-secret object bytes; split into as many commands as needed. */
  readonly data: Uint8Array;
}

/** Session handle only. */
export interface SessionInput {
  readonly session: string;
}

export interface AddClientInput {
  readonly name: string;
  readonly role: Role;
}

/** The one-time token of a new client (`NAME.SECRET`): shown once, never stored. */
export interface NewClient {
  readonly token: string;
}

export interface ClientSummary extends ClientIdentity {
  readonly createdAt: string;
}

export interface PingResult {
  readonly client: string;
  readonly role: Role;
  /** HSM clock, ISO 8601. */
  readonly time: string;
}

/** Clearing: purchase and load TAC verification. */
export interface TacVerifier {
  /** Whether the purchase TAC is the card's. */
  verifyPurchaseTac(check: PurchaseTacCheck): Promise<boolean>;
  /** One verdict per check, in order. */
  verifyPurchaseTacs(checks: readonly PurchaseTacCheck[]): Promise<boolean[]>;
  /** Whether the load TAC is the card's. */
  verifyLoadTac(check: LoadTacCheck): Promise<boolean>;
}

/** Online load: checks the card's MAC1 and issues MAC2. */
export interface LoadAuthorizer {
  verifyLoadMac1AndIssueMac2(check: LoadMac1Check): Promise<LoadAuthorization>;
}

/** The city CA held in the HSM. */
export interface CertificateSigner {
  /** DER X.509 certificate of the card key, issued by the city CA. */
  signCardCertificate(request: SignCardCertificateInput): Promise<Buffer>;
  /** DER certificate of the city CA. */
  caCertificate(): Promise<Buffer>;
}

/**
 * Personalization secure messaging (docs/personalization.md): every method returns complete
 * command APDUs for the station to relay; keys are diversified and encrypted inside the HSM.
 */
export interface PersonalizationCrypto {
  startPersonalization(input: StartPersonalizationInput): Promise<PersonalizationStart>;
  /** Checks the card cryptogram; returns EXTERNAL AUTHENTICATE. A wrong cryptogram closes the session. */
  openPersonalization(input: OpenPersonalizationInput): Promise<Buffer>;
  wrapPutKey(input: WrapPutKeyInput): Promise<Buffer>;
  wrapStoreData(input: WrapStoreDataInput): Promise<Buffer[]>;
  /** STORE DATA of the PIN then the PUK, chosen by the HSM (test profile: 123456 and 12345678). */
  wrapStorePins(input: SessionInput): Promise<Buffer[]>;
  wrapGenerateKeyPair(input: SessionInput): Promise<Buffer>;
  /** END PERSONALIZATION; the HSM forgets the session. */
  wrapEndPersonalization(input: SessionInput): Promise<Buffer>;
  /** Forgets the session without a command. */
  abortPersonalization(input: SessionInput): Promise<void>;
}

/** Key and client administration. */
export interface KeyAdministration {
  generateKey(input: GenerateKeyInput): Promise<string>;
  importKey(input: ImportKeyInput): Promise<string>;
  keyCheckValue(key: KeyId): Promise<string>;
  listKeys(): Promise<KeyInfo[]>;
  exportKey(input: ExportKeyInput): Promise<WrappedKey>;
  diversifyCardKeys(input: DiversifyCardKeysInput): Promise<DiversifiedCardKeys>;
  addClient(input: AddClientInput): Promise<NewClient>;
  removeClient(name: string): Promise<void>;
  listClients(): Promise<ClientSummary[]>;
}

/** Everything, for a client whose role decides what actually succeeds. */
export interface KeyCustodian
  extends TacVerifier,
    LoadAuthorizer,
    CertificateSigner,
    PersonalizationCrypto,
    KeyAdministration {
  ping(): Promise<PingResult>;
  close(): Promise<void>;
}

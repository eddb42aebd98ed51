/** Every HSM command: its name, typed parameters and typed result (the same in-process and on the wire). */
import type {
  AddClientInput,
  SignCardCertificateInput,
  ClientSummary,
  DiversifiedCardKeys,
  DiversifyCardKeysInput,
  ExportKeyInput,
  GenerateKeyInput,
  ImportKeyInput,
  KeyId,
  LoadAuthorization,
  LoadMac1Check,
  LoadTacCheck,
  NewClient,
  OpenPersonalizationInput,
  PersonalizationStart,
  PingResult,
  PurchaseTacCheck,
  SessionInput,
  StartPersonalizationInput,
  WrapPutKeyInput,
  WrapStoreDataInput,
  WrappedKey,
} from '../custodian.js';
import type { KeyInfo } from '../keystore/keyRecord.js';

/** Parameters of a command that takes none. */
export type NoParams = Record<string, never>;

export interface HsmCommandMap {
  ping: { params: NoParams; result: PingResult };
  generateKey: { params: GenerateKeyInput; result: string };
  importKey: { params: ImportKeyInput; result: string };
  keyCheckValue: { params: KeyId; result: string };
  listKeys: { params: NoParams; result: KeyInfo[] };
  exportKey: { params: ExportKeyInput; result: WrappedKey };
  diversifyCardKeys: { params: DiversifyCardKeysInput; result: DiversifiedCardKeys };
  addClient: { params: AddClientInput; result: NewClient };
  removeClient: { params: { name: string }; result: null };
  listClients: { params: NoParams; result: ClientSummary[] };
  verifyLoadMac1AndIssueMac2: { params: LoadMac1Check; result: LoadAuthorization };
  verifyLoadTac: { params: LoadTacCheck; result: boolean };
  verifyPurchaseTac: { params: PurchaseTacCheck; result: boolean };
  verifyPurchaseTacs: { params: { checks: readonly PurchaseTacCheck[] }; result: boolean[] };
  signCardCertificate: { params: SignCardCertificateInput; result: Buffer };
  caCertificate: { params: NoParams; result: Buffer };
  startPersonalization: { params: StartPersonalizationInput; result: PersonalizationStart };
  openPersonalization: { params: OpenPersonalizationInput; result: Buffer };
  wrapPutKey: { params: WrapPutKeyInput; result: Buffer };
  wrapStoreData: { params: WrapStoreDataInput; result: Buffer[] };
  wrapStorePins: { params: SessionInput; result: Buffer[] };
  wrapGenerateKeyPair: { params: SessionInput; result: Buffer };
  wrapEndPersonalization: { params: SessionInput; result: Buffer };
  abortPersonalization: { params: SessionInput; result: null };
}

export type CommandName = keyof HsmCommandMap;
export type CommandParams<N extends CommandName> = HsmCommandMap[N]['params'];
export type CommandResult<N extends CommandName> = HsmCommandMap[N]['result'];

/**
 * The typed `KeyCustodian` methods, written once over an abstract `call`: `HsmClient` sends the
 * call over the socket, `LocalHsm` runs it in-process.
 */
import type {
  AddClientInput,
  SignCardCertificateInput,
  ClientSummary,
  DiversifiedCardKeys,
  DiversifyCardKeysInput,
  ExportKeyInput,
  GenerateKeyInput,
  ImportKeyInput,
  KeyCustodian,
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
import type { CommandName, CommandParams, CommandResult } from '../protocol/commandMap.js';

export abstract class CustodianBase implements KeyCustodian {
  /** Runs one command; rejects with the `HsmError` the HSM answered with. */
  protected abstract call<N extends CommandName>(name: N, params: CommandParams<N>): Promise<CommandResult<N>>;

  abstract close(): Promise<void>;

  ping(): Promise<PingResult> {
    return this.call('ping', {});
  }

  verifyPurchaseTac(check: PurchaseTacCheck): Promise<boolean> {
    return this.call('verifyPurchaseTac', check);
  }

  verifyPurchaseTacs(checks: readonly PurchaseTacCheck[]): Promise<boolean[]> {
    return this.call('verifyPurchaseTacs', { checks });
  }

  verifyLoadTac(check: LoadTacCheck): Promise<boolean> {
    return this.call('verifyLoadTac', check);
  }

  verifyLoadMac1AndIssueMac2(check: LoadMac1Check): Promise<LoadAuthorization> {
    return this.call('verifyLoadMac1AndIssueMac2', check);
  }

  signCardCertificate(request: SignCardCertificateInput): Promise<Buffer> {
    return this.call('signCardCertificate', request);
  }

  caCertificate(): Promise<Buffer> {
    return this.call('caCertificate', {});
  }

  startPersonalization(input: StartPersonalizationInput): Promise<PersonalizationStart> {
    return this.call('startPersonalization', input);
  }

  openPersonalization(input: OpenPersonalizationInput): Promise<Buffer> {
    return this.call('openPersonalization', input);
  }

  wrapPutKey(input: WrapPutKeyInput): Promise<Buffer> {
    return this.call('wrapPutKey', input);
  }

  wrapStoreData(input: WrapStoreDataInput): Promise<Buffer[]> {
    return this.call('wrapStoreData', input);
  }

  wrapStorePins(input: SessionInput): Promise<Buffer[]> {
    return this.call('wrapStorePins', input);
  }

  wrapGenerateKeyPair(input: SessionInput): Promise<Buffer> {
    return this.call('wrapGenerateKeyPair', input);
  }

  wrapEndPersonalization(input: SessionInput): Promise<Buffer> {
    return this.call('wrapEndPersonalization', input);
  }

  async abortPersonalization(input: SessionInput): Promise<void> {
    await this.call('abortPersonalization', input);
  }

  generateKey(input: GenerateKeyInput): Promise<string> {
    return this.call('generateKey', input);
  }

  importKey(input: ImportKeyInput): Promise<string> {
    return this.call('importKey', input);
  }

  keyCheckValue(key: KeyId): Promise<string> {
    return this.call('keyCheckValue', key);
  }

  listKeys(): Promise<KeyInfo[]> {
    return this.call('listKeys', {});
  }

  exportKey(input: ExportKeyInput): Promise<WrappedKey> {
    return this.call('exportKey', input);
  }

  diversifyCardKeys(input: DiversifyCardKeysInput): Promise<DiversifiedCardKeys> {
    return this.call('diversifyCardKeys', input);
  }

  addClient(input: AddClientInput): Promise<NewClient> {
    return this.call('addClient', input);
  }

  async removeClient(name: string): Promise<void> {
    await this.call('removeClient', { name });
  }

  listClients(): Promise<ClientSummary[]> {
    return this.call('listClients', {});
  }
}

/**
 * `KeyCustodian` in-process: the same command code, role checks and audit as the server, without
 * a socket. For tests and single-process demos; it does not own the core (closing it is the
 * creator's job).
 */
import { type ClientIdentity } from '../auth/roles.js';
import { type HsmCore } from '../core/hsmCore.js';
import type { CommandName, CommandParams, CommandResult } from '../protocol/commandMap.js';
import { CustodianBase } from './custodianBase.js';

export class LocalHsm extends CustodianBase {
  readonly #core: HsmCore;
  /** Who the calls run as (role-checked and audited under this name). */
  readonly identity: ClientIdentity;

  constructor(core: HsmCore, identity: ClientIdentity) {
    super();
    this.#core = core;
    this.identity = identity;
  }

  protected override async call<N extends CommandName>(name: N, params: CommandParams<N>): Promise<CommandResult<N>> {
    return this.#core.execute(this.identity, name, params);
  }

  override async close(): Promise<void> {
    // Nothing to release: the core belongs to whoever created it.
  }
}

/** Public shapes of the stack API. */

/** `ours`: started or added by this project (recorded in stack.json); `external`: found running. */
export type Owner = 'ours' | 'external';
export type StackComponent = 'pcscd' | 'redis' | 'route';

export interface ComponentStatus {
  readonly running: boolean;
  /** Undefined when not running. */
  readonly owner: Owner | undefined;
  /** PID of a process we started; undefined for external ones. */
  readonly pid: number | undefined;
  /** Why a component counts as not usable, e.g. a port held by something else. */
  readonly detail?: string;
}

export interface PcscdStatus extends ComponentStatus {
  /** Both vpcd slots listen for cards (TCP 35963 and 35964). */
  readonly vpcdReaders: boolean;
}

export interface RouteStatus {
  /** The quickack route for VPCD_CARD_HOST is in the local table. */
  readonly present: boolean;
  readonly owner: Owner | undefined;
  /** A route for VPCD_CARD_HOST exists without quickack (ours cannot be added). */
  readonly conflicting: boolean;
}

export interface StackStatus {
  readonly stateDir: string;
  readonly pcscd: PcscdStatus;
  readonly redis: ComponentStatus;
  readonly route: RouteStatus;
}

export interface StackState extends StackStatus {
  /** What this call started or added (empty when everything was already up). */
  readonly started: readonly StackComponent[];
  /** Problems that do not stop the stack, e.g. the route fix missing (APDUs take ~44 ms). */
  readonly warnings: readonly string[];
}

export interface StackDownResult {
  readonly stateDir: string;
  /** What this call stopped or removed (empty when nothing of ours was up). */
  readonly stopped: readonly StackComponent[];
}

export interface StackOptions {
  /** Defaults to $CITYCARD_HOME, else `.citycard` in the repository root. */
  readonly stateDir?: string;
  /** Bound on waiting for each started component to become ready; default READY_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

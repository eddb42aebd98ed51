export { stackCommand } from './command.js';
export { stackDown, stackStatus, stackUp } from './stack.js';
export type {
  ComponentStatus,
  Owner,
  PcscdStatus,
  RouteStatus,
  StackComponent,
  StackDownResult,
  StackOptions,
  StackState,
  StackStatus,
} from './types.js';
export * from './constants.js';
export * from './errors.js';
export { resolveStateDir } from './paths.js';

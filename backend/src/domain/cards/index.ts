export {
  CARD_STATES,
  FINAL_STATES,
  REASON_CODES,
  type BalanceTransfer,
  type Card,
  type CardState,
  type LifecycleActor,
  type LifecycleRole,
  type ReasonCode,
} from './card.js';
export {
  CardLifecycle,
  DEFAULT_BALANCE_TRANSFER_WINDOW_MS,
  type CardLifecycleOptions,
  type Replacement,
  type TransitionRequest,
} from './cardLifecycle.js';
export {
  CardNotFoundError,
  CardNumberTakenError,
  CardholderHasLiveCardError,
  InvalidCardNumberError,
  DualControlRequiredError,
  InvalidTransitionError,
  TransitionNotPermittedError,
} from './errors.js';
export { APPROVER_ROLES, TRANSITIONS, findTransition, refusalReason, type Transition } from './transitions.js';
export { actorFromStaff, transitionBodySchema, type TransitionBody } from './transitionInput.js';

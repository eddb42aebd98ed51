/** HTTP statuses of the staff and approval domain errors. */
import { ApprovalForbiddenError, ApprovalKindError, ApprovalNotFoundError, ApprovalStateError } from '../domain/approvals/errors.js';
import {
  InvalidCredentialsError,
  LoginLockedError,
  PasswordChangeRequiredError,
  SessionInvalidError,
  StaffExistsError,
  StaffNotFoundError,
  StaffRuleError,
} from '../domain/staff/errors.js';
import type { RouteModule } from './context.js';

export const coreErrors: RouteModule = (registry) => {
  registry.mapError(InvalidCredentialsError, 401);
  registry.mapError(SessionInvalidError, 401);
  registry.mapError(LoginLockedError, 429, (err) => ({ 'Retry-After': String((err as LoginLockedError).retryAfterSeconds) }));
  registry.mapError(PasswordChangeRequiredError, 403);
  registry.mapError(StaffNotFoundError, 404);
  registry.mapError(StaffExistsError, 409);
  registry.mapError(StaffRuleError, 422);
  registry.mapError(ApprovalNotFoundError, 404);
  registry.mapError(ApprovalKindError, 400);
  registry.mapError(ApprovalForbiddenError, 403);
  registry.mapError(ApprovalStateError, 409);
};

/** Dual-control errors, by cause. Messages are safe to show. */

export class ApprovalError extends Error {
  override readonly name: string = 'ApprovalError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export class ApprovalNotFoundError extends ApprovalError {
  override readonly name = 'ApprovalNotFoundError';
  constructor(id: string) {
    super('APPROVAL_NOT_FOUND', `no approval request ${id}`);
  }
}

/** A kind nobody defined, or a payload that does not fit its kind. */
export class ApprovalKindError extends ApprovalError {
  override readonly name = 'ApprovalKindError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('APPROVAL_KIND', message, options);
  }
}

/** The requester tried to approve their own request, or a role may not request or approve this kind. */
export class ApprovalForbiddenError extends ApprovalError {
  override readonly name = 'ApprovalForbiddenError';
  constructor(message: string) {
    super('APPROVAL_FORBIDDEN', message);
  }
}

/** Already approved, rejected or expired. */
export class ApprovalStateError extends ApprovalError {
  override readonly name = 'ApprovalStateError';
  constructor(message: string) {
    super('APPROVAL_STATE', message);
  }
}

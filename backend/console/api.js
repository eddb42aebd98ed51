// The JSON API client: one place for the bearer token and for turning {error:{code,message}}
// answers into ApiError, so every view shows the API's own reason.

const TOKEN_KEY = 'citycard.console.token';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The message for staff, with each invalid field when the API listed them. */
  describe() {
    const issues = this.details?.issues;
    if (!Array.isArray(issues) || issues.length === 0) return this.message;
    return `${this.message}: ${issues.map((i) => `${String(i.path).replace(/^body\.|^query\./, '')} ${i.message}`).join('; ')}`;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  },
};

/** Calls the API; resolves the parsed body (undefined for 204), rejects with ApiError. */
export async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the backend cannot be reached; check the connection and try again');
  }
  const text = await res.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'BAD_ANSWER', `the backend answered ${res.status} without JSON`);
  }
  if (!res.ok) {
    const err = json?.error;
    throw new ApiError(res.status, err?.code ?? 'ERROR', err?.message ?? `request failed with status ${res.status}`, err?.details);
  }
  return json;
}

const q = (params) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '');
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries)}`;
};
const id = encodeURIComponent;

export const api = {
  login: (username, password) => call('POST', '/api/v1/auth/login', { username, password }),
  logout: () => call('POST', '/api/v1/auth/logout'),
  me: () => call('GET', '/api/v1/auth/me'),
  changePassword: (currentPassword, newPassword) => call('POST', '/api/v1/auth/password', { currentPassword, newPassword }),

  /** criteria: { name?, citizenId?, purpose }; every cardholder returned is logged as read for `purpose`. */
  searchCardholders: (criteria) => call('GET', `/api/v1/cardholders${q(criteria)}`),
  enroll: (input) => call('POST', '/api/v1/cardholders', input),
  cardholder: (cardholderId, purpose) => call('GET', `/api/v1/cardholders/${id(cardholderId)}${q({ purpose })}`),
  accessLog: (cardholderId) => call('GET', `/api/v1/cardholders/${id(cardholderId)}/access-log`),
  cardsOf: (cardholderId) => call('GET', `/api/v1/cardholders/${id(cardholderId)}/cards`),
  applyForCard: (cardholderId) => call('POST', `/api/v1/cardholders/${id(cardholderId)}/cards`, {}),
  /** action: approve, issue, activate, loss-report, found, replace, revoke (path segment). */
  cardAction: (cardId, action, reason) => call('POST', `/api/v1/cards/${id(cardId)}/${action}`, reason ? { reason } : {}),
  personalized: (cardId, cardNumber) => call('POST', `/api/v1/cards/${id(cardId)}/personalized`, { cardNumber }),

  approvals: (status) => call('GET', `/api/v1/approvals${q({ status })}`),
  approve: (approvalId) => call('POST', `/api/v1/approvals/${id(approvalId)}/approve`),
  reject: (approvalId, reason) => call('POST', `/api/v1/approvals/${id(approvalId)}/reject`, { reason }),

  /** Queues one approved card; answers the job with the card number it will carry. */
  queueCard: (cardId) => call('POST', '/api/v1/issuance/jobs', { cardId }),
  /** Queues up to `count` (1-10000) approved cards without a job as one batch: { batchId, jobIds }. */
  queueBatch: (count) => call('POST', '/api/v1/issuance/batches', { count }),
  /** { total, queued, claimed, done, failed, retries } over every job. */
  issuanceProgress: () => call('GET', '/api/v1/issuance/progress'),
  batchProgress: (batchId) => call('GET', `/api/v1/issuance/batches/${id(batchId)}`),

  verifyAudit: () => call('GET', '/api/v1/audit/verify'),
  auditFor: (subject) => call('GET', `/api/v1/audit${q({ subject })}`),
};

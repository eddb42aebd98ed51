// The kiosk service's JSON API: one place that turns { error: { code, message, ... } } answers into KioskApiError.

export class KioskApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = 'KioskApiError';
    this.status = status;
    this.code = code;
    this.triesLeft = details.triesLeft;
    this.reason = details.reason;
  }
}

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    // The service refuses a POST without it: a cross-site form cannot send it.
    headers['x-citycard-kiosk'] = '1';
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined, cache: 'no-store' });
  } catch {
    throw new KioskApiError(0, 'NETWORK', 'the kiosk service cannot be reached');
  }
  let json;
  try {
    json = await res.json();
  } catch {
    throw new KioskApiError(res.status, 'NETWORK', `the kiosk service answered ${res.status} without JSON`);
  }
  if (!res.ok) {
    const err = json?.error ?? {};
    throw new KioskApiError(res.status, err.code ?? 'INTERNAL', err.message ?? `status ${res.status}`, err);
  }
  return json;
}

export const api = {
  session: () => call('GET', '/api/session'),
  tap: () => call('POST', '/api/tap'),
  pin: (pin) => call('POST', '/api/pin', { pin }),
  purse: () => call('GET', '/api/purse'),
  topUp: (amount) => call('POST', '/api/top-up', { amount }),
  accessLog: () => call('GET', '/api/access-log'),
  changePin: (oldPin, newPin) => call('POST', '/api/pin/change', { oldPin, newPin }),
  end: () => call('POST', '/api/end'),
};

// Console entry: views, sign-in, the first-login password change and navigation.
import { api, ApiError, session } from './api.js';
import { $, guarded, showError, showStatus } from './dom.js';
import { initApprovals, loadApprovals } from './approvals.js';
import { initAudit } from './audit.js';
import { initCardholders } from './cardholders.js';
import { initIssuance, startIssuance, stopIssuance } from './issuance.js';

let me;

/** Shows one view, marks its nav button and moves focus to its heading (screen readers follow). */
export function showView(name) {
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== `view-${name}`;
  for (const button of document.querySelectorAll('#nav [data-view]')) {
    if (button.dataset.view === name) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  $(`#view-${name} h2`)?.focus();
  if (name === 'approvals') void guarded(loadApprovals);
  // Poll only while the view is open.
  if (name === 'issuance') startIssuance();
  else stopIssuance();
}

function signedIn(staff) {
  me = staff;
  $('#whoami').textContent = `${staff.username} (${staff.role})`;
  if (staff.mustChangePassword) {
    $('#nav').hidden = true;
    showView('password');
    return;
  }
  // Offer only what the role may do; the API enforces it regardless.
  for (const button of document.querySelectorAll('#nav [data-roles]')) button.hidden = !button.dataset.roles.split(' ').includes(staff.role);
  $('#nav').hidden = false;
  showView(staff.role === 'auditor' ? 'audit' : 'search');
}

function signedOut(message) {
  session.token = null;
  me = undefined;
  $('#nav').hidden = true;
  showStatus(message ?? '');
  showView('login');
}

/** A 401 anywhere means the session ended: back to sign-in with the API's reason. */
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError && event.reason.status === 401) signedOut(event.reason.message);
});

$('#login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const data = new FormData(form);
  void guarded(async () => {
    const answer = await api.login(String(data.get('username')), String(data.get('password')));
    session.token = answer.token;
    form.reset();
    showStatus(`Signed in as ${answer.staff.username}.`);
    signedIn(answer.staff);
  }, form.querySelector('button'));
});

$('#password-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const data = new FormData(form);
  if (data.get('newPassword') !== data.get('repeat')) {
    showError(new Error('the two new passwords differ'));
    $('#pw-repeat').focus();
    return;
  }
  void guarded(async () => {
    await api.changePassword(String(data.get('currentPassword')), String(data.get('newPassword')));
    form.reset();
    showStatus('Password changed.');
    signedIn(await api.me());
  }, form.querySelector('button'));
});

$('#logout').addEventListener('click', () => {
  void guarded(async () => {
    try {
      await api.logout();
    } finally {
      signedOut('Signed out.');
    }
  });
});

for (const button of document.querySelectorAll('#nav [data-view]')) {
  button.addEventListener('click', () => {
    showError(undefined);
    showView(button.dataset.view);
  });
}

initCardholders({ showView, currentStaff: () => me });
initApprovals();
initAudit();
initIssuance({ currentStaff: () => me });

if (session.token) {
  api.me().then(signedIn, (err) => signedOut(err instanceof ApiError && err.status === 401 ? 'Your session ended; sign in again.' : undefined));
} else {
  signedOut();
}

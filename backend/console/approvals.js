// Pending dual-control requests: a different supervisor or admin approves (which runs the action) or rejects.
import { api } from './api.js';
import { $, fillRows, guarded, h, showStatus, when } from './dom.js';

export async function loadApprovals() {
  const { approvals } = await api.approvals('pending');
  const rows = approvals.map((a) =>
    h(
      'tr',
      { 'data-approval': a.id },
      h('td', {}, a.kind),
      h('td', {}, a.requestedBy),
      h('td', {}, when(a.requestedAt)),
      h('td', {}, h('code', {}, JSON.stringify(a.payload))),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: (e) => decide(a, 'approve', e.currentTarget) }, 'Approve'),
          h('button', { type: 'button', class: 'secondary', onclick: (e) => decide(a, 'reject', e.currentTarget) }, 'Reject'),
        ),
      ),
    ),
  );
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5 }, 'Nothing is waiting for approval.')));
  fillRows($('#approvals-list'), rows);
}

function decide(approval, decision, button) {
  return guarded(async () => {
    if (decision === 'approve') {
      await api.approve(approval.id);
      showStatus(`Approved: ${approval.kind}.`);
    } else {
      await api.reject(approval.id, 'rejected at the bureau console');
      showStatus(`Rejected: ${approval.kind}.`);
    }
    await loadApprovals();
  }, button);
}

export function initApprovals() {
  $('#approvals-refresh').addEventListener('click', (e) => guarded(loadApprovals, e.currentTarget));
}

// Audit view: prove the hash chain and list the entries about one subject.
import { api } from './api.js';
import { $, fillRows, guarded, h, when } from './dom.js';

function showChain(report) {
  const out = $('#audit-chain');
  out.className = `result ${report.ok ? 'ok' : 'bad'}`;
  out.textContent = report.ok
    ? `Audit chain OK: ${report.entries} entries, head ${report.headHash.slice(0, 16)}…`
    : `Audit chain BROKEN at entry ${report.firstBrokenSeq} (${report.reason}); ${report.entries} entries before it are sound.`;
}

export function initAudit() {
  $('#audit-verify').addEventListener('click', (e) => guarded(async () => showChain(await api.verifyAudit()), e.currentTarget));
  $('#audit-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const subject = String(new FormData(event.currentTarget).get('subject')).trim();
    void guarded(async () => {
      const { entries } = await api.auditFor(subject);
      const rows = entries.map((e) =>
        h('tr', {}, h('td', {}, e.seq), h('td', {}, when(e.at)), h('td', { class: 'mono' }, e.actor), h('td', {}, e.action), h('td', {}, h('code', {}, e.details))),
      );
      if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5 }, 'No entries about this subject.')));
      fillRows($('#audit-entries'), rows);
      $('#audit-entries').hidden = false;
    }, event.submitter);
  });
}

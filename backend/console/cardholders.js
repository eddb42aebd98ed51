// Cardholders: search, enroll, the detail page with cards, card actions and the access log.
import { api, ApiError } from './api.js';
import { $, fillRows, guarded, h, showStatus, when } from './dom.js';

/** What staff may do from each card state (docs/card-lifecycle.md); `action` is the API path segment. */
const ACTIONS_BY_STATE = {
  applied: [{ action: 'approve', label: 'Approve application' }],
  approved: [
    { action: 'queue', label: 'Queue for personalization' },
    { action: 'personalized', label: 'Record personalization' },
  ],
  personalized: [{ action: 'issue', label: 'Issue' }],
  issued: [{ action: 'activate', label: 'Activate' }],
  active: [
    { action: 'loss-report', label: 'Report loss', reason: 'lost' },
    { action: 'replace', label: 'Replace', reason: 'damaged' },
    { action: 'revoke', label: 'Revoke', reason: 'fraud' },
  ],
  blocked: [
    { action: 'found', label: 'Found (unblock)', reason: 'found' },
    { action: 'replace', label: 'Reissue', reason: 'lost' },
    { action: 'revoke', label: 'Revoke', reason: 'stolen' },
  ],
};

let current;
let purpose = 'service';
let deps;

function field(label, value) {
  return value === null || value === undefined || value === '' ? [] : [h('dt', {}, label), h('dd', {}, value)];
}

/** The access log is for supervisors, auditors and admins: a 403 shows a note, not an error. */
async function accessLogOrNote(cardholderId) {
  try {
    return (await api.accessLog(cardholderId)).entries;
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return undefined;
    throw err;
  }
}

async function openCardholder(cardholderId) {
  const [holder, cards, log] = await Promise.all([api.cardholder(cardholderId, purpose), api.cardsOf(cardholderId), accessLogOrNote(cardholderId)]);
  current = holder;
  $('#h-cardholder').textContent = holder.fullName;
  $('#ch-fields').replaceChildren(
    ...field('Kind', holder.kind === 'resident' ? 'resident' : 'floating population'),
    ...field('Citizen ID', holder.citizenId),
    ...field('Birth date', holder.birthDate),
    ...field('Phone', holder.phone),
    ...field('Address', holder.address),
    ...field('Household', holder.household && `${holder.household.householdId} (${holder.household.relation})`),
    ...field('Residence permit', holder.residencePermit && `${holder.residencePermit.number}, expires ${holder.residencePermit.expiresOn}`),
    ...field('Cardholder id', h('code', {}, holder.id)),
  );
  renderCards(cards.cards);
  showAccessLog(log);
  deps.showView('cardholder');
}

/** After a card action: the cards and the log again, without another read of personal data. */
async function refreshCards() {
  const [cards, log] = await Promise.all([api.cardsOf(current.id), accessLogOrNote(current.id)]);
  renderCards(cards.cards);
  showAccessLog(log);
}

function showAccessLog(log) {
  $('#ch-access').hidden = log === undefined;
  $('#ch-access-note').hidden = log !== undefined;
  $('#ch-access-note').textContent = 'The access log is shown to supervisors, auditors and admins.';
  fillRows(
    $('#ch-access'),
    (log ?? []).map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', { class: 'mono' }, e.accessor), h('td', {}, e.purpose))),
  );
}

function renderCards(cards) {
  const rows = cards.map((card) =>
    h(
      'tr',
      { 'data-card': card.id },
      h('td', {}, h('code', {}, card.cardNumber ?? card.id)),
      h('td', { class: 'state' }, card.state),
      h('td', {}, when(card.updatedAt)),
      h('td', {}, h('div', { class: 'actions' }, ...(ACTIONS_BY_STATE[card.state] ?? []).map((a) => actionButton(card, a)))),
    ),
  );
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 4 }, 'No card yet.')));
  fillRows($('#ch-cards'), rows);
}

async function runAction(card, action, label, reason) {
  if (action === 'queue') {
    const job = await api.queueCard(card.id);
    return `${label}: queued as card number ${job.cardNumber}.`;
  }
  if (action === 'personalized') {
    const number = $('#card-number').value.trim();
    if (!/^[0-9]{16}$/.test(number)) {
      $('#card-number').focus();
      throw new Error('enter the 16-digit card number the personalization station reported');
    }
    await api.personalized(card.id, number);
    $('#card-number').value = '';
    return `${label}: done.`;
  }
  const answer = await api.cardAction(card.id, action, $('#card-reason').value || reason);
  // Dual control: revocation and reissue after loss answer with a pending approval request.
  if (answer?.approval?.status === 'pending') return `${label}: awaiting second approval by another supervisor or admin.`;
  return `${label}: done.`;
}

function actionButton(card, { action, label, reason }) {
  return h(
    'button',
    {
      type: 'button',
      class: action === 'revoke' ? 'secondary' : undefined,
      onclick: (e) =>
        guarded(async () => {
          const message = await runAction(card, action, label, reason);
          $('#card-reason').value = '';
          await refreshCards();
          showStatus(message);
        }, e.currentTarget),
    },
    label,
  );
}

function enrollInput(data) {
  const kind = String(data.get('kind'));
  const input = { kind, fullName: String(data.get('fullName')).trim(), birthDate: String(data.get('birthDate')), address: String(data.get('address')).trim() };
  const optional = (name) => String(data.get(name) ?? '').trim();
  if (optional('citizenId')) input.citizenId = optional('citizenId');
  if (optional('phone')) input.phone = optional('phone');
  if (kind === 'floating') input.residencePermit = { number: optional('permitNumber'), expiresOn: optional('permitExpiresOn') };
  return input;
}

export function initCardholders(dependencies) {
  deps = dependencies;
  $('#search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    purpose = String(data.get('purpose'));
    const criteria = { name: String(data.get('name')).trim(), citizenId: String(data.get('citizenId')).trim(), purpose };
    void guarded(async () => {
      const answer = await api.searchCardholders(criteria);
      const found = answer.cardholders;
      const rows = found.map((c) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, c.fullName),
          h('td', {}, c.kind),
          h('td', {}, c.birthDate),
          h('td', {}, c.citizenId ?? ''),
          h('td', {}, h('button', { type: 'button', onclick: (e) => guarded(() => openCardholder(c.id), e.currentTarget) }, `Open ${c.fullName}`)),
        ),
      );
      if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5 }, 'No cardholder matches.')));
      fillRows($('#search-results'), rows);
      $('#search-results').hidden = false;
      showStatus(`${found.length} found.`);
    }, event.submitter);
  });

  for (const radio of document.querySelectorAll('#enroll-form input[name="kind"]')) {
    radio.addEventListener('change', () => {
      $('#permit-fields').hidden = $('#enroll-form input[name="kind"]:checked').value !== 'floating';
    });
  }
  $('#enroll-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    void guarded(async () => {
      const holder = await api.enroll(enrollInput(new FormData(form)));
      form.reset();
      $('#permit-fields').hidden = true;
      purpose = 'issuance';
      await openCardholder(holder.id);
      showStatus(`Enrolled ${holder.fullName}.`);
    }, event.submitter);
  });

  $('#apply-card').addEventListener('click', (e) =>
    guarded(async () => {
      await api.applyForCard(current.id);
      await refreshCards();
      showStatus('Card application recorded.');
    }, e.currentTarget),
  );
}

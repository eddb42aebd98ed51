// Kiosk page: one screen at a time, driven by the session view the kiosk service answers.
// The service owns the session; this page shows it, polls it (a card taken out ends it) and
// sends what the citizen taps. PIN digits go from the keypad straight into one request.
import { api, KioskApiError } from './api.js';
import { $, busy, h, screen, showScreen } from './dom.js';
import { localDateTime, localTime, maskedCard, money } from './format.js';
import { applyStatic, has, language, onLanguageChange, setLanguage, t } from './i18n.js';
import { createPinPad, PIN_MIN } from './pinpad.js';

const POLL_MS = 1000;
/** An error screen shown after the card already left goes back to the start by itself after this long. */
const RESULT_TIMEOUT_MS = 15_000;

const state = {
  /** The last session view from the service. */
  view: undefined,
  /** Whether the page believes a card session is open (so a poll answering idle means it ended). */
  inSession: false,
  /** A result screen waits for the card to leave before going back to the start. */
  awaitRemoval: false,
  pinMode: 'verify',
  oldPin: undefined,
  newPin: undefined,
  amount: undefined,
  tapping: false,
  polling: false,
  /** Redraws the current screen's dynamic text (after a language switch). */
  redraw: undefined,
  resultTimer: undefined,
};

const pad = createPinPad($('#pin-pad'), $('#pin-dots'));

// ---- routing by the session view ----

function render(view) {
  state.view = view;
  if (view.phase === 'idle') {
    state.inSession = false;
    if (view.takeCard) showGoodbye();
    else showWelcome();
    return;
  }
  state.inSession = true;
  if (view.phase === 'pin') showPin('verify');
  else if (view.phase === 'pinBlocked') showPinBlocked();
  else showMenu();
}

function show(name, redraw) {
  clearTimeout(state.resultTimer);
  state.redraw = redraw;
  redraw?.();
  showScreen(name);
}

/** The welcome screen; taps (long polls) until a card is in and checked. */
async function showWelcome() {
  show('welcome');
  if (state.tapping) return;
  state.tapping = true;
  try {
    while (screen() === 'welcome') {
      const view = await api.tap();
      if (view.waiting || screen() !== 'welcome') continue;
      render(view);
    }
  } catch (err) {
    await failed(err);
  } finally {
    state.tapping = false;
  }
}

function showGoodbye() {
  state.inSession = false;
  show('goodbye');
}

function showPinBlocked() {
  state.inSession = true;
  show('pinblocked');
}

// ---- PIN entry (verify, and the three steps of a PIN change) ----

const PIN_TITLES = { verify: 'pin.verify', old: 'pin.old', new: 'pin.new', repeat: 'pin.repeat' };

function showPin(mode, message) {
  state.pinMode = mode;
  pad.clear();
  show('pin', () => {
    const card = state.view?.card;
    const summary = [];
    if (mode === 'verify' && card) {
      const type = t(`cardType.${has(`cardType.${card.cardType}`) ? card.cardType : 'unknown'}`);
      summary.push(h('p', { class: 'card-text' }, t('card.summary', { number: maskedCard(card.cardNumber), type, until: card.validUntil })));
      summary.push(h('p', { class: 'genuine' }, h('span', { 'aria-hidden': 'true' }, '✓ '), t('card.genuine')));
    }
    $('#pin-card').replaceChildren(...summary);
    $('#pin-card').hidden = summary.length === 0;
    $('#h-pin').textContent = t(`${PIN_TITLES[mode]}.title`);
    $('#pin-hint').textContent = t(`${PIN_TITLES[mode]}.hint`);
    pad.relabel();
  });
  const tries = state.view?.pin?.triesLeft;
  pinMessage(message ?? (mode === 'verify' && tries === 1 ? t('pin.wrongOne') : undefined));
}

function pinMessage(text) {
  const box = $('#pin-message');
  box.hidden = text === undefined;
  box.textContent = text ?? '';
}

function triesText(n) {
  return n === 1 ? t('pin.wrongOne') : t('pin.wrong', { n });
}

async function submitPin() {
  if (screen() !== 'pin' || !$('#busy').hidden) return;
  if (pad.length() < PIN_MIN) {
    pinMessage(t('pin.short'));
    return;
  }
  const digits = pad.take();
  switch (state.pinMode) {
    case 'verify':
      await run(t('busy.checking'), async () => render(await api.pin(digits)), (err) => {
        if (err.code === 'PIN_WRONG') showPin('verify', triesText(err.triesLeft));
        else if (err.code === 'PIN_FORMAT') showPin('verify', t('pin.short'));
        else return false;
        return true;
      });
      return;
    case 'old':
      state.oldPin = digits;
      showPin('new');
      return;
    case 'new':
      state.newPin = digits;
      showPin('repeat');
      return;
    case 'repeat': {
      if (digits !== state.newPin) {
        state.newPin = undefined;
        showPin('new', t('pin.mismatch'));
        return;
      }
      const oldPin = state.oldPin;
      const newPin = state.newPin;
      state.oldPin = undefined;
      state.newPin = undefined;
      await run(t('busy.checking'), async () => {
        await api.changePin(oldPin, newPin);
        showResult({ ok: true, title: 'changePin.done.title', text: () => t('changePin.done.text'), actions: inSessionActions() });
      }, (err) => {
        if (err.code === 'PIN_WRONG') showPin('old', triesText(err.triesLeft));
        else if (err.code === 'PIN_FORMAT') showPin('new', t(err.reason === 'PIN_UNCHANGED' ? 'pin.unchanged' : 'pin.short'));
        else return false;
        return true;
      });
      return;
    }
  }
}

function cancelPin() {
  state.oldPin = undefined;
  state.newPin = undefined;
  pad.clear();
  if (state.pinMode === 'verify') void finish();
  else showMenu();
}

// ---- services ----

function showMenu() {
  state.inSession = true;
  show('menu', () => {
    const view = state.view;
    const holder = view.holder;
    $('#h-menu').textContent = t('menu.hello', { name: holder?.name ?? '' });
    $('#menu-confirmed').textContent =
      holder?.confirmedBy === 'backend'
        ? t('menu.confirmed', { point: holder.servicePoint, time: localTime(holder.expiresAt) })
        : t('menu.confirmedCard');
    $('#menu-offline').hidden = !view.offline;
    $('#go-topup').disabled = !view.services.topUp;
    $('#go-accesslog').disabled = !view.services.accessLog;
  });
}

async function showPurse() {
  await run(t('busy.reading'), async () => {
    const purse = await api.purse();
    show('purse', () => {
      $('#purse-balance').textContent = money(purse.balance);
      const rows = purse.transactions.map((tx) =>
        h('tr', {},
          h('td', {}, `${tx.date} ${tx.time.slice(0, 5)}`),
          h('td', {}, t(`purse.${tx.kind}`)),
          h('td', { class: 'amount' }, tx.kind === 'purchase' ? money(-tx.amount) : `+${money(tx.amount)}`),
          h('td', { class: 'mono' }, tx.terminal)));
      $('#purse-list tbody').replaceChildren(...rows);
      $('#purse-list').hidden = rows.length === 0;
      $('#purse-empty').hidden = rows.length !== 0;
    });
  });
}

function showTopUp() {
  state.amount = undefined;
  show('topup', () => {
    const amounts = state.view.topUpAmounts.map((amount) =>
      h('button', { type: 'button', class: 'tile', onclick: () => chooseAmount(amount) }, t('topup.amount', { amount: money(amount) })));
    $('#topup-amounts').replaceChildren(...amounts);
    $('#topup-amounts').hidden = state.amount !== undefined;
    $('#topup-back').hidden = state.amount !== undefined;
    $('#topup-confirm').hidden = state.amount === undefined;
    if (state.amount !== undefined) $('#topup-question').textContent = t('topup.question', { amount: money(state.amount) });
  });
}

function chooseAmount(amount) {
  state.amount = amount;
  state.redraw();
  $('#topup-yes').focus();
}

async function confirmTopUp() {
  const amount = state.amount;
  if (amount === undefined) return;
  state.amount = undefined;
  await run(t('topup.working'), async () => {
    const result = await api.topUp(amount);
    showResult({
      ok: true,
      title: 'topup.done.title',
      text: () => t('topup.done.text', { amount: money(result.amount), balance: money(result.balanceAfter) }) + (result.confirmed ? '' : t('topup.done.later')),
      actions: inSessionActions(),
    });
  });
}

async function showAccessLog() {
  await run(t('busy.reading'), async () => {
    const { entries } = await api.accessLog();
    show('accesslog', () => {
      const rows = entries.map((e) =>
        h('tr', {},
          h('td', {}, localDateTime(e.at)),
          h('td', {}, who(e.accessor)),
          h('td', {}, has(`purpose.${e.purpose}`) ? t(`purpose.${e.purpose}`) : e.purpose)));
      $('#log-list tbody').replaceChildren(...rows);
      $('#log-list').hidden = rows.length === 0;
      $('#log-empty').hidden = rows.length !== 0;
    });
  });
}

function who(accessor) {
  switch (accessor.kind) {
    case 'staff':
      return t('who.staff', { role: has(`role.${accessor.role}`) ? t(`role.${accessor.role}`) : accessor.role });
    case 'terminal':
      return t('who.terminal', { number: accessor.terminalNumber });
    case 'kiosk':
      return t('who.kiosk');
    default:
      return t('who.other');
  }
}

async function finish() {
  await run(undefined, async () => {
    const view = await api.end();
    state.inSession = false;
    render(view);
  });
}

// ---- results and errors ----

function inSessionActions() {
  return [
    { label: 'common.menu', primary: true, run: showMenu },
    { label: 'common.finish', run: finish },
  ];
}

/** A result screen: `title` a label key, `text` a function (redrawn on a language switch), `actions` [{label, primary, run}]. */
function showResult({ ok, title, text, actions }) {
  show('result', () => {
    $('#result-icon').textContent = ok ? '✓' : '!';
    $('#result-icon').className = ok ? 'icon ok' : 'icon bad';
    $('#h-result').textContent = t(title);
    $('#result-text').textContent = text();
    $('#result-actions').replaceChildren(
      ...actions.map((a) => h('button', { type: 'button', class: a.primary ? 'primary' : 'secondary', onclick: () => void a.run() }, t(a.label))),
    );
  });
  $('#screen-result').dataset.kind = ok ? 'ok' : 'bad';
}

/** Show what went wrong; the actions depend on whether the service still holds the session. */
async function failed(err) {
  busy();
  const code = err instanceof KioskApiError ? err.code : 'INTERNAL';
  if (code === 'PIN_BLOCKED') {
    showPinBlocked();
    return;
  }
  let view;
  try {
    view = await api.session();
  } catch {
    view = undefined;
  }
  const live = view !== undefined && view.phase !== 'idle';
  if (view !== undefined) state.view = view;
  state.inSession = live;
  state.awaitRemoval = !live && view?.takeCard === true;
  const reasonKey = `error.${code}.${err.reason}`;
  const textKey = err.reason !== undefined && has(reasonKey) ? reasonKey : `error.${code}.text`;
  const actions = live
    ? [...(view.phase === 'ready' ? [{ label: 'common.menu', primary: true, run: showMenu }] : []), { label: 'common.finish', run: finish }]
    : [{ label: 'common.startAgain', primary: true, run: () => render(view ?? { phase: 'idle', takeCard: false }) }];
  showResult({ ok: false, title: has(`error.${code}.title`) ? `error.${code}.title` : 'error.INTERNAL.title', text: () => t(textKey), actions });
  $('#screen-result').dataset.code = code;
  if (!live && !state.awaitRemoval) state.resultTimer = setTimeout(() => screen() === 'result' && showWelcome(), RESULT_TIMEOUT_MS);
}

/** Run `action` behind the busy overlay; `onError` returns true when it handled the error itself. */
async function run(text, action, onError) {
  busy(text ?? '');
  try {
    await action();
  } catch (err) {
    busy();
    if (!(err instanceof KioskApiError && onError?.(err) === true)) await failed(err);
  } finally {
    busy();
  }
}

// ---- the card leaving, idle sessions ----

async function poll() {
  if (state.polling || screen() === 'welcome' || !$('#busy').hidden) return;
  state.polling = true;
  try {
    const view = await api.session();
    if (view.phase !== 'idle') return;
    if (state.inSession) {
      state.inSession = false;
      state.view = view;
      if (view.ended === 'removed' || view.ended === 'timeout') {
        const code = view.ended === 'removed' ? 'CARD_REMOVED' : 'SESSION_TIMEOUT';
        await failed(new KioskApiError(410, code, code));
      } else render(view);
      return;
    }
    const waitingForRemoval = screen() === 'goodbye' || (screen() === 'result' && state.awaitRemoval);
    if (waitingForRemoval && !view.takeCard) showWelcome();
  } catch {
    // The next poll tries again.
  } finally {
    state.polling = false;
  }
}

// ---- wiring ----

function wire() {
  $('#pin-ok').addEventListener('click', () => void submitPin());
  $('#pin-cancel').addEventListener('click', cancelPin);
  $('#go-purse').addEventListener('click', () => void showPurse());
  $('#go-topup').addEventListener('click', showTopUp);
  $('#go-accesslog').addEventListener('click', () => void showAccessLog());
  $('#go-changepin').addEventListener('click', () => showPin('old'));
  $('#topup-yes').addEventListener('click', () => void confirmTopUp());
  $('#topup-no').addEventListener('click', () => {
    state.amount = undefined;
    state.redraw();
  });
  for (const button of document.querySelectorAll('.back')) button.addEventListener('click', showMenu);
  for (const button of document.querySelectorAll('.finish')) button.addEventListener('click', () => void finish());
  $('#lang').addEventListener('click', () => setLanguage(language() === 'en' ? 'zh' : 'en'));
  onLanguageChange(() => {
    labelLanguageButton();
    state.redraw?.();
  });
  document.addEventListener('keydown', (event) => {
    if (screen() !== 'pin' || !$('#busy').hidden) return;
    // Enter on a focused button is that button's click: do not submit twice.
    if (event.key === 'Enter' && event.target instanceof HTMLButtonElement) return;
    if (/^[0-9]$/.test(event.key)) pad.press(event.key);
    else if (event.key === 'Backspace') pad.press('delete');
    else if (event.key === 'Enter') void submitPin();
    else if (event.key === 'Escape') cancelPin();
    else return;
    event.preventDefault();
  });
}

function labelLanguageButton() {
  $('#lang').textContent = t('lang.switch');
  $('#lang').title = t('lang.label');
  $('#lang').setAttribute('lang', language() === 'en' ? 'zh-CN' : 'en');
}

async function start() {
  applyStatic();
  labelLanguageButton();
  wire();
  setInterval(() => void poll(), POLL_MS);
  try {
    render(await api.session());
  } catch (err) {
    await failed(err);
  }
}

void start();

// Small DOM helpers: build elements from text only (never innerHTML with data), show status and errors.

export const $ = (selector) => document.querySelector(selector);

/** h('td', { class: 'x' }, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function fillRows(table, rows) {
  const body = table.querySelector('tbody');
  body.replaceChildren(...rows);
}

export function showStatus(text) {
  $('#status').textContent = text;
}

export function showError(err) {
  const box = $('#error');
  if (err === undefined) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.textContent = typeof err.describe === 'function' ? err.describe() : String(err.message ?? err);
  box.hidden = false;
}

/** Runs an action with the error box cleared first and filled on failure; disables `button` meanwhile. */
export async function guarded(action, button) {
  showError(undefined);
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (err) {
    showError(err);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '');

// Small DOM helpers: elements built from text only (never innerHTML with data), screens, the busy overlay.

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

let currentScreen;

/** Shows one screen and moves focus to its heading (screen readers follow). */
export function showScreen(name) {
  currentScreen = name;
  for (const screen of document.querySelectorAll('.screen')) screen.hidden = screen.id !== `screen-${name}`;
  $(`#screen-${name} h2`)?.focus();
}

export function screen() {
  return currentScreen;
}

/** Shows the busy overlay with `text`, or hides it (text undefined). */
export function busy(text) {
  const overlay = $('#busy');
  overlay.hidden = text === undefined;
  $('#busy-text').textContent = text ?? '';
}

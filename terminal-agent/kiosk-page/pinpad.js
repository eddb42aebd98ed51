// The PIN keypad: big touch keys, dots for the digits entered. The digits live in this closure only:
// never in the DOM, never in storage; take() hands them over and forgets them.
import { h } from './dom.js';
import { t } from './i18n.js';

export const PIN_MAX = 8;
export const PIN_MIN = 4;

export function createPinPad(pad, dots) {
  let digits = '';

  const render = () => {
    dots.replaceChildren(...Array.from({ length: PIN_MAX }, (_, i) => h('span', { class: i < digits.length ? 'dot on' : 'dot' })));
    dots.setAttribute('aria-label', t('pin.digits', { n: digits.length }));
    dots.dataset.count = String(digits.length);
  };

  const press = (key) => {
    if (key === 'delete') digits = digits.slice(0, -1);
    else if (key === 'clear') digits = '';
    else if (/^[0-9]$/.test(key) && digits.length < PIN_MAX) digits += key;
    render();
  };

  const label = (key) => (key === 'delete' ? t('pin.delete') : key === 'clear' ? t('pin.clear') : key);
  const build = () => {
    const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'delete'];
    pad.replaceChildren(
      ...keys.map((key) =>
        h('button', { type: 'button', class: /^[0-9]$/.test(key) ? 'key' : 'key fn', 'data-key': key, onclick: () => press(key) }, label(key)),
      ),
    );
    pad.setAttribute('aria-label', t('pin.verify.title'));
    render();
  };
  build();

  return {
    press,
    /** The digits entered; the pad is cleared. */
    take() {
      const value = digits;
      digits = '';
      render();
      return value;
    },
    length: () => digits.length,
    clear: () => press('clear'),
    relabel: build,
  };
}

// How amounts, dates and card numbers read on the screen.

/** 5000 → "¥50.00" (amounts are in fen). */
export function money(fen) {
  const sign = fen < 0 ? '−' : '';
  return `${sign}¥${(Math.abs(fen) / 100).toFixed(2)}`;
}

/** "1000000000000001" → "•••• •••• •••• 0001": the kiosk screen may be seen by others. */
export function maskedCard(number) {
  return `•••• •••• •••• ${String(number).slice(-4)}`;
}

/** An ISO instant as local "YYYY-MM-DD HH:MM". */
export function localDateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** An ISO instant as local "HH:MM". */
export function localTime(iso) {
  return localDateTime(iso).slice(11);
}

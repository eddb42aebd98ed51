/** A plain-text progress bar for stderr: `[#######.............]  7/20  done 6  failed 1`. */

export interface BarCounts {
  /** Cards wanted, 1 or more. */
  readonly count: number;
  readonly done: number;
  readonly failed: number;
  readonly unreported: number;
}

/**
 * One line (no newline) showing the share of cards finished, done or not. `width` is the bar's
 * inner width, 10-100 characters. Counts above `count` fill the bar, never overflow it.
 */
export function renderProgressBar(c: BarCounts, width = 30): string {
  const inner = Math.min(Math.max(Math.trunc(width), 10), 100);
  const finished = c.done + c.failed + c.unreported;
  const filled = c.count <= 0 ? inner : Math.min(inner, Math.floor((finished * inner) / c.count));
  const digits = String(c.count).length;
  const set = c.unreported > 0 ? `  unreported ${c.unreported}` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}] ${String(Math.min(finished, c.count)).padStart(digits)}/${c.count}  done ${c.done}  failed ${c.failed}${set}`;
}

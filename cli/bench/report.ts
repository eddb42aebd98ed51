/**
 * docs/benchmarks.md: one section per suite, each a table of measured values against the target
 * an issue sets, headed by the machine and the date of the run.
 */
import type { MachineInfo } from './machine.js';

export interface BenchRow {
  readonly metric: string;
  readonly value: string;
  /** The target, e.g. `≤ 0.5 ms`; empty for context rows. */
  readonly target: string;
  /** Whether the value meets the target; undefined for context rows. */
  readonly met?: boolean | undefined;
}

export interface BenchSection {
  readonly title: string;
  /** How it was measured, in a sentence or two. */
  readonly method: string;
  readonly rows: readonly BenchRow[];
}

export function renderReport(machine: MachineInfo, date: Date, sections: readonly BenchSection[]): string {
  const lines: string[] = [
    '# Benchmarks',
    '',
    'Written by `npm run bench`; do not edit by hand. Targets come from the issues; tests never assert timings.',
    '',
    `- Date: ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB`,
    `- OS: ${machine.os}; Node ${machine.node}`,
    '',
  ];
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', section.method, '', '| Metric | Measured | Target | |', '|---|---|---|---|');
    for (const row of section.rows) {
      const verdict = row.met === undefined ? '' : row.met ? 'met' : '**not met**';
      lines.push(`| ${row.metric} | ${row.value} | ${row.target} | ${verdict} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * `citycard bench`: run the benchmark suites one after the other (never in parallel: they share
 * the two cores and the vpcd slots) and write docs/benchmarks.md.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { REPO_ROOT } from '../stack/paths.js';
import { describeMachine, readCpuTimes, stealPercent } from './machine.js';
import { renderReport, type BenchSection } from './report.js';
import { benchApduInProcess } from './suites/apduInProcess.js';
import { benchApduPcsc } from './suites/apduPcsc.js';
import { benchHsm } from './suites/hsm.js';
import { benchBackendTerminals } from './suites/backendTerminals.js';
import { benchIssuancePcsc } from './suites/issuancePcsc.js';
import { benchPurchasePcsc } from './suites/purchasePcsc.js';
import { benchGateTap } from './suites/gateTap.js';

const SUITES: ReadonlyArray<readonly [string, () => Promise<BenchSection>]> = [
  ['apdu-in-process', benchApduInProcess],
  ['apdu-pcsc', benchApduPcsc],
  ['purchase-pcsc', benchPurchasePcsc],
  ['hsm', benchHsm],
  ['backend-terminals', benchBackendTerminals],
  ['issuance-pcsc', benchIssuancePcsc],
  ['gate-tap', benchGateTap],
];

export function benchCommand(): Command {
  return new Command('bench')
    .description('run the benchmarks and write docs/benchmarks.md')
    .option('--only <names>', `comma-separated suites (${SUITES.map(([n]) => n).join(', ')})`)
    .option('--out <file>', 'report file', path.join(REPO_ROOT, 'docs', 'benchmarks.md'))
    .action(async (opts: { only?: string; out: string }) => {
      const wanted = opts.only?.split(',').map((s) => s.trim());
      const sections: BenchSection[] = [];
      for (const [name, run] of SUITES) {
        if (wanted !== undefined && !wanted.includes(name)) continue;
        console.log(`bench: ${name} …`);
        const before = readCpuTimes();
        const measured = await run();
        const steal = stealPercent(before, readCpuTimes());
        // Timings on a virtual machine depend on what the host takes: say how much it took.
        const section =
          steal === undefined
            ? measured
            : { ...measured, rows: [...measured.rows, { metric: 'CPU steal by the hypervisor during this suite', value: `${steal.toFixed(1)} %`, target: '' }] };
        for (const r of section.rows) console.log(`  ${r.metric}: ${r.value}${r.target ? ` (target ${r.target})` : ''}`);
        sections.push(section);
      }
      writeFileSync(opts.out, renderReport(describeMachine(), new Date(), sections));
      console.log(`bench: wrote ${path.relative(process.cwd(), opts.out)}`);
    });
}

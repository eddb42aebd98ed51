/** A personalized virtual card in a temporary directory, for benchmarks. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cardCertificateIssuer, loadOrCreateTestCa } from '@citycard/hsm-sim/ca';
import { FileStore, VirtualCard, idApplication, personalizeTestProfile } from '@citycard/card-os';

export interface BenchCard {
  readonly card: VirtualCard;
  dispose(): void;
}

export function createBenchCard(): BenchCard {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-bench-'));
  const store = FileStore.open(dir);
  personalizeTestProfile(store, { issueCertificate: cardCertificateIssuer(loadOrCreateTestCa(path.join(dir, 'ca'))) });
  const card = new VirtualCard({ store, applications: [idApplication] });
  return {
    card,
    dispose() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

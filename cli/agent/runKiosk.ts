/**
 * `agent run` in kiosk mode: the kiosk page (startKiosk) on the configured address, with the
 * terminal's readers, hotlist, record store and uploader; top-ups through the HSM when
 * `kiosk.hsmSocket` is set (its token from CITYCARD_HSM_TOKEN). Runs until SIGTERM or SIGINT.
 */
import { readFileSync } from 'node:fs';
import { HsmClient } from '@citycard/hsm-sim';
import type { AgentConfig } from '../../terminal-agent/src/agent/agentConfig.js';
import { AgentConfigError, HSM_TOKEN_ENV } from '../../terminal-agent/src/agent/agentConfig.js';
import { openTerminalParts } from '../../terminal-agent/src/agent/agentAssembly.js';
import { startKiosk } from '../../terminal-agent/src/kiosk/index.js';

export async function runKiosk(config: AgentConfig, env: Readonly<Record<string, string | undefined>>, say: (text: string) => void): Promise<number> {
  const kiosk = config.kiosk;
  const backend = config.backend;
  if (kiosk === undefined || backend?.credential === undefined || backend.terminalNumber === undefined) {
    throw new AgentConfigError('config', ['kiosk mode needs the kiosk section, a backend and CITYCARD_TERMINAL_TOKEN']);
  }
  const hsmToken = env[HSM_TOKEN_ENV];
  if (kiosk.hsmSocket !== undefined && (hsmToken === undefined || hsmToken === '')) {
    throw new AgentConfigError('config', [`${HSM_TOKEN_ENV}: set it to a load client token of the HSM (kiosk.hsmSocket is set)`]);
  }
  const caCertificate = readFileSync(kiosk.caCertificate);
  const parts = await openTerminalParts(config);
  const faults = (err: Error): void => say(`fault: ${err.name}: ${err.message}`);
  let custodian: HsmClient | undefined;
  try {
    if (kiosk.hsmSocket !== undefined) custodian = await HsmClient.connect({ address: { path: kiosk.hsmSocket }, token: hsmToken! });
    const running = await startKiosk({
      card: parts.readers,
      caCertificate,
      backend: { url: backend.url, credential: backend.credential },
      servicePoint: kiosk.servicePoint,
      terminalNumber: backend.terminalNumber,
      loadCustodian: custodian,
      loadRecords: parts.store,
      isHotlisted: parts.hotlist === undefined ? undefined : (cardNumber) => parts.hotlist!.has(cardNumber),
      topUpAmounts: kiosk.topUpAmounts,
      timeZone: config.timeZone,
      host: kiosk.host,
      port: kiosk.port,
    });
    for (const task of parts.background) task.start(faults);
    say(`kiosk: open ${running.url} in the kiosk's browser${custodian === undefined ? ' (no top-up: kiosk.hsmSocket is not set)' : ''}`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    say('kiosk: stopping');
    await running.close();
    return 0;
  } finally {
    await Promise.allSettled(parts.background.map((task) => task.stop()));
    await custodian?.close();
    await parts.close();
  }
}

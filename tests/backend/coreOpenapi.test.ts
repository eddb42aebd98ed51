import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openApiText } from '../../backend/src/cli.js';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';

const DOC_PATH = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));

describe('OpenAPI document', () => {
  it('docs/openapi.json is up to date (regenerate: UPDATE_OPENAPI=1 npx vitest run tests/backend/coreOpenapi.test.ts)', () => {
    const text = openApiText();
    if (process.env['UPDATE_OPENAPI'] === '1') writeFileSync(DOC_PATH, text);
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(text);
  });

  it('lists every registered route with its roles, and is what GET /openapi.json serves', async () => {
    const db = openDatabase(':memory:');
    migrate(db);
    const { registry, app } = createApp({ config: loadConfig({}), db });
    const doc = JSON.parse(readFileSync(DOC_PATH, 'utf8')) as { paths: Record<string, Record<string, { 'x-roles': string[] }>> };
    for (const r of registry.routes()) {
      const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op?.['x-roles']).toEqual(r.access === 'public' ? ['public'] : 'roles' in r.access ? [...r.access.roles] : [`scheme:${r.access.scheme}`]);
    }
    const count = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(count).toBe(registry.routes().length);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const served = await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json();
    await new Promise((r) => server.close(r));
    db.close();
    expect(served).toEqual(doc);
  });
});

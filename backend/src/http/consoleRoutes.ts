/**
 * Serves the bureau console: a static page (HTML, CSS, JS modules; no build step) from
 * backend/console/, read once when the routes are declared. The page talks to the JSON API with
 * a bearer token, so these routes are public and hand out no data. The backend's CSP (same origin
 * only, no inline scripts) applies to the page as to every answer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import { z } from 'zod';
import { AppError } from './appError.js';
import type { RouteModule } from './context.js';

const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** A console asset name: lowercase, one dot, a served extension; no path separators. */
const ASSET_NAME = /^[a-z][a-z0-9-]{0,40}\.(?:js|css|svg)$/;

interface Asset {
  body: Buffer;
  type: string;
}

/** Every servable file of `dir` (flat), keyed by name. @throws when dir cannot be read. */
export function loadConsoleAssets(dir: string = CONSOLE_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined || (name !== 'index.html' && !ASSET_NAME.test(name))) continue;
    assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return assets;
}

export const consoleRoutes: RouteModule = (registry) => {
  const assets = loadConsoleAssets();
  const send = (name: string, res: Response): undefined => {
    const asset = assets.get(name);
    if (asset === undefined) throw new AppError(404, 'NOT_FOUND', `no console file ${name}`);
    res.status(200).type(asset.type).send(asset.body);
    return undefined;
  };
  registry.add({
    method: 'get',
    path: '/console',
    summary: 'The bureau console (HTML page for staff)',
    tags: ['console'],
    access: 'public',
    status: 200,
    handler: ({ res }) => send('index.html', res),
  });
  registry.add({
    method: 'get',
    path: '/console/:asset',
    summary: 'A script, style sheet or image of the bureau console',
    tags: ['console'],
    access: 'public',
    status: 200,
    params: z.strictObject({ asset: z.string().regex(ASSET_NAME, 'must be a console file name such as app.js') }),
    handler: ({ params, res }) => send(params.asset, res),
  });
};

/**
 * The kiosk's page: plain HTML, CSS and JS modules (no build step) from terminal-agent/kiosk-page/,
 * read once at start. Names are flat and strict, so a request can never reach another file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page folder shipped with the terminal agent. */
export const KIOSK_PAGE_DIR = fileURLToPath(new URL('../../kiosk-page/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** An asset name: lowercase, one dot, a served extension, no path separators. */
export const ASSET_NAME = /^[a-z][a-z0-9-]{0,40}\.(?:js|css|svg)$/;

export interface PageAsset {
  readonly body: Buffer;
  readonly type: string;
}

/** Every servable file of `dir` (flat), keyed by name. Throws what `readdirSync` throws for an unreadable folder. */
export function loadKioskPage(dir: string = KIOSK_PAGE_DIR): Map<string, PageAsset> {
  const assets = new Map<string, PageAsset>();
  for (const name of readdirSync(dir)) {
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined || (name !== 'index.html' && !ASSET_NAME.test(name))) continue;
    assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  if (!assets.has('index.html')) throw new Error(`the kiosk page folder ${dir} has no index.html`);
  return assets;
}

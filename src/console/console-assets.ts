import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);

/** One built file, held in memory with its compressed forms. */
export interface ConsoleAsset {
  type: string;
  etag: string;
  /** Vite names assets under assets/ by content hash: they never change under their name. */
  immutable: boolean;
  identity: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

/**
 * The console's built files (dist/web-console, made by `vite build` in `npm ci`'s prepare step), read
 * once at start and compressed once (brotli and gzip), so a page load costs no CPU but the copy.
 */
export class ConsoleAssets {
  readonly #files = new Map<string, ConsoleAsset>();

  constructor(dir: string) {
    if (!existsSync(dir)) return;
    for (const file of walk(dir)) {
      const ext = extname(file);
      const body = readFileSync(file);
      const path = relative(dir, file).split('\\').join('/');
      const compress = COMPRESSIBLE.has(ext) && body.length > 256;
      this.#files.set(path, {
        type: TYPES[ext] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        immutable: path.startsWith('assets/'),
        identity: body,
        ...(compress ? {
          gzip: gzipSync(body, { level: 9 }),
          br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
        } : {}),
      });
    }
  }

  /** Whether a build is there (a checkout without `npm run build` has none). */
  get built(): boolean {
    return this.#files.has('index.html');
  }

  get(path: string): ConsoleAsset | undefined {
    return this.#files.get(path);
  }
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { mimeType } from './mime';

const IMMUTABLE = 'public, max-age=31536000, immutable';
// Everything not content-hashed (html, service-worker.js, the manifest, icons) is revalidated on every use, so a
// new deploy and its new service worker are seen at once.
const REVALIDATE = 'no-cache';

/** Serve the built PWA from `buildDir`: files, prerendered pages, and 200.html for unknown extension-less paths. */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  buildDir: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res
      .writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
      .end('Method not allowed');
    return;
  }
  if (!(await isDirectory(buildDir))) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Run npm run build first\n');
    return;
  }
  const relative = requestPath(req.url ?? '/');
  if (relative === null) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request');
    return;
  }
  const file = await findFile(buildDir, relative);
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
    return;
  }
  const cache = relative.startsWith('_app/immutable/') ? IMMUTABLE : REVALIDATE;
  sendFile(req, res, file.path, file.size, cache);
}

/** The decoded URL path without its leading slash, or null if it cannot name a file under the root. */
function requestPath(url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://relay.invalid').pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  // Normalising as a URL path first turns every `..` into nothing above the root.
  return path.posix.normalize(`/${pathname}`).replace(/^\/+/, '');
}

interface FoundFile {
  path: string;
  size: number;
}

async function findFile(root: string, relative: string): Promise<FoundFile | null> {
  const candidates = [relative];
  const extensionless = path.posix.extname(relative) === '';
  if (extensionless) {
    const base = relative.replace(/\/+$/, '');
    if (base) candidates.push(`${base}.html`);
    candidates.push(base ? `${base}/index.html` : 'index.html', '200.html');
  }
  for (const candidate of candidates) {
    const found = await regularFile(root, candidate);
    if (found) return found;
  }
  return null;
}

async function regularFile(root: string, relative: string): Promise<FoundFile | null> {
  const full = path.resolve(root, relative);
  // Belt and braces after normalisation: never open anything outside the build directory.
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  try {
    const stat = await fs.promises.stat(full);
    return stat.isFile() ? { path: full, size: stat.size } : null;
  } catch {
    return null; // not there: the caller tries the next candidate or answers 404
  }
}

function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  size: number,
  cache: string,
): void {
  res.writeHead(200, {
    'Content-Type': mimeType(path.extname(file)),
    'Content-Length': size,
    'Cache-Control': cache,
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = fs.createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(dir)).isDirectory();
  } catch {
    return false; // missing build: answered with 503 by the caller
  }
}

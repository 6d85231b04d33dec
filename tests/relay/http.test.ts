import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;
let buildDir: string;

/** A stand-in for `build/`: what the adapter writes, in miniature. */
function makeBuild(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-build-'));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  write('200.html', '<!doctype html><title>spa fallback</title>');
  write('index.html', '<!doctype html><title>home</title>');
  write('manifest.webmanifest', '{"name":"Hearth"}');
  write('service-worker.js', 'self.addEventListener("fetch", () => {});');
  write('_app/immutable/entry/app.abc123.js', 'export {};');
  write('_app/immutable/assets/app.abc123.css', 'body{}');
  write('icons/icon.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

beforeAll(async () => {
  buildDir = makeBuild();
  relay = await startRelay({ env: { BUILD_DIR: buildDir } });
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
  fs.rmSync(buildDir, { recursive: true, force: true });
});

describe('@relay http', () => {
  it('answers /healthz with {"ok":true}', async () => {
    const response = await fetch(`${relay.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('serves 200.html for an unknown path without an extension (SPA fallback)', async () => {
    const response = await fetch(`${relay.url}/rooms/abc/settings`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('spa fallback');
  });

  it('serves index.html at / and 404 for an unknown file with an extension', async () => {
    expect(await (await fetch(`${relay.url}/`)).text()).toContain('home');
    expect((await fetch(`${relay.url}/missing.js`)).status).toBe(404);
  });

  it('serves files with their MIME types and caching: immutable assets for a year, the rest revalidated', async () => {
    const asset = await fetch(`${relay.url}/_app/immutable/entry/app.abc123.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await fetch(`${relay.url}/_app/immutable/assets/app.abc123.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    const manifest = await fetch(`${relay.url}/manifest.webmanifest`);
    expect(manifest.headers.get('content-type')).toBe('application/manifest+json');
    const worker = await fetch(`${relay.url}/service-worker.js`);
    expect(worker.headers.get('cache-control')).toBe('no-cache');
    const html = await fetch(`${relay.url}/index.html`);
    expect(html.headers.get('cache-control')).toBe('no-cache');
    const svg = await fetch(`${relay.url}/icons/icon.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('never serves a file outside the build directory', async () => {
    const secret = path.join(path.dirname(buildDir), `${path.basename(buildDir)}-secret.txt`);
    fs.writeFileSync(secret, 'outside');
    try {
      const name = path.basename(secret);
      for (const attempt of [`/../${name}`, `/%2e%2e/${name}`, `/..%2f${name}`, `/_app/..%2f..%2f${name}`]) {
        const response = await fetch(`${relay.url}${attempt}`);
        expect(await response.text()).not.toContain('outside');
      }
    } finally {
      fs.rmSync(secret);
    }
  });

  it('answers 503 "Run npm run build first" when the build directory is missing', async () => {
    const bare = await startRelay({ env: { BUILD_DIR: path.join(os.tmpdir(), 'hearth-no-build-here') } });
    try {
      const response = await fetch(`${bare.url}/`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('Run npm run build first');
      expect((await fetch(`${bare.url}/healthz`)).status).toBe(200);
    } finally {
      await bare.stop();
      bare.removeData();
    }
  });
});

describe('@relay configuration', () => {
  it('exits non-zero with one line per invalid variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: 'eighty',
        LOG_LEVEL: 'chatty',
        SHARED_SOCKET_TTL_MS: '50',
        DATA_DIR: path.join(os.tmpdir(), 'unused'),
      },
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('PORT');
    expect(lines[1]).toContain('LOG_LEVEL');
    expect(lines[2]).toContain('SHARED_SOCKET_TTL_MS="50": expected at least 1000 ms');
  });
});

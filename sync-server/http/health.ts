import type { ServerResponse } from 'node:http';
import type { Fanout } from '../fanout';
import type { RelayStorage } from '../storage/RelayStorage';

/** A check that hangs (a dead database behind a live TCP proxy) counts as failed after this long. */
const CHECK_TIMEOUT_MS = 3_000;

type Check = 'storage' | 'redis' | 'stopping';

/**
 * GET /healthz: 200 {"ok":true} when storage answers a trivial query and, when scaled out, Redis answers PING;
 * else 503 {"ok":false,"failed":[...]} naming each failed part ("storage", "redis", or "stopping" during shutdown).
 */
export async function serveHealth(
  res: ServerResponse,
  storage: RelayStorage,
  stopping: boolean,
  fanout?: Fanout,
): Promise<void> {
  const checks: Array<Promise<Check | null>> = [
    passes(() => storage.ping()).then((ok) => (ok ? null : 'storage')),
  ];
  if (fanout) checks.push(passes(() => fanout.ping()).then((ok) => (ok ? null : 'redis')));
  const failed = (await Promise.all(checks)).filter((check): check is Check => check !== null);
  if (stopping) failed.unshift('stopping');
  const ok = failed.length === 0;
  res
    .writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
    .end(JSON.stringify(ok ? { ok } : { ok, failed }));
}

async function passes(check: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return true;
  } catch {
    return false; // the answer itself is the report; the error is logged where the service is used
  } finally {
    clearTimeout(timer);
  }
}

import type { ServerResponse } from 'node:http';
import type { RelayStorage } from '../storage/RelayStorage';

/** GET /healthz: 200 {"ok":true} when storage answers a trivial query, else 503 {"ok":false}. */
export async function serveHealth(
  res: ServerResponse,
  storage: RelayStorage,
  stopping: boolean,
): Promise<void> {
  let ok = !stopping;
  if (ok) {
    try {
      await storage.ping();
    } catch {
      ok = false; // the answer itself is the report; the storage error is logged where it is used
    }
  }
  res
    .writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
    .end(JSON.stringify({ ok }));
}

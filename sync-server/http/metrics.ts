import type { ServerResponse } from 'node:http';
import type { RelayMetrics } from '../metrics';

/** GET /metrics: the relay's counters in Prometheus text format. Holds no content, keys or ids, only counts. */
export async function serveMetrics(res: ServerResponse, metrics: RelayMetrics): Promise<void> {
  const { contentType, body } = await metrics.expose();
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(body);
}

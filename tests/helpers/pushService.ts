import http from 'node:http';

/** One request the stand-in push service received. */
export interface ReceivedPush {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A local HTTP server standing in for a Web Push service (none is reachable from test machines): it records every
 * request and answers 201, or the status a test sets for a path (404/410 to say a subscription is gone).
 */
export class FakePushService {
  readonly received: ReceivedPush[] = [];
  private readonly statuses = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  private readonly server: http.Server;
  url = '';

  private constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.record(req, Buffer.concat(chunks), res));
    });
  }

  static async start(): Promise<FakePushService> {
    const service = new FakePushService();
    await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
    const address = service.server.address();
    service.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return service;
  }

  /** A fresh endpoint URL on this service. */
  endpoint(name: string): string {
    return `${this.url}/push/${name}`;
  }

  /** Answer requests to `endpoint` with `status` from now on. */
  respondWith(endpoint: string, status: number): void {
    this.statuses.set(new URL(endpoint).pathname, status);
  }

  /** Requests received for `endpoint` so far. */
  to(endpoint: string): ReceivedPush[] {
    const path = new URL(endpoint).pathname;
    return this.received.filter((push) => push.path === path);
  }

  /** Resolves once `endpoint` has received `count` requests (rejects after `timeoutMs`). */
  async waitFor(endpoint: string, count = 1, timeoutMs = 10_000): Promise<ReceivedPush[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(endpoint).length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${count} push(es) to ${new URL(endpoint).pathname}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const waiters = this.waiters;
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
    return this.to(endpoint);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private record(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    this.received.push({ method: req.method ?? '', path, headers: req.headers, body });
    res.writeHead(this.statuses.get(path) ?? 201).end();
    for (const wake of [...this.waiters]) wake();
  }
}

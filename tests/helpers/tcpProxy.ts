import net from 'node:net';

/** A TCP forwarder a test can cut and restore, to take a service away from one relay only. */
export interface TcpProxy {
  port: number;
  /** Drop every connection and refuse new ones. */
  cut(): Promise<void>;
  /** Accept again on the same port. */
  restore(): Promise<void>;
  /** Keep what clients send from reaching the service (their requests wait, as on a stalled link)... */
  hold(): void;
  /** ...until this forwards it, in order. */
  release(): void;
  /** What is held now. */
  heldBytes(): Buffer;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let held: Array<{ chunk: Buffer; upstream: net.Socket }> | null = null;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = net.createServer((client) => {
        const upstream = net.connect(targetPort, targetHost);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy()); // the other side is torn down with it below
        }
        client.on('data', (chunk: Buffer) => {
          if (held) held.push({ chunk, upstream });
          else upstream.write(chunk);
        });
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        const address = next.address();
        port = typeof address === 'object' && address ? address.port : port;
        server = next;
        resolve();
      });
    });

  const cut = async () => {
    const closing = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };

  const hold = () => {
    held ??= [];
  };
  const release = () => {
    const waiting = held ?? [];
    held = null;
    for (const { chunk, upstream } of waiting) upstream.write(chunk);
  };
  const heldBytes = () => Buffer.concat((held ?? []).map(({ chunk }) => chunk));

  await listen();
  return { port, cut, restore: listen, hold, release, heldBytes, close: cut };
}

/** A proxy in front of the tests' Redis, and the URL that reaches Redis through it (cut it to cut one relay off). */
export async function redisThroughProxy(redisUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
  const url = new URL(redisUrl);
  const proxy = await startTcpProxy(url.hostname, Number(url.port || 6379));
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}

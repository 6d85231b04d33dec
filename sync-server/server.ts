import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../src/lib/protocol/limits';
import { Connection } from './connection';
import type { RelayContext } from './context';
import { serveHealth } from './http/health';
import { serveMetrics } from './http/metrics';
import { REVOKE_PATH, serveRevokeDevice } from './http/revokeDevice';
import { serveStatic } from './http/static';
import { serveVapidPublicKey, VAPID_PUBLIC_KEY_PATH } from './http/vapidPublicKey';

export const SYNC_PATH = '/sync';

/**
 * ws itself closes a socket with 1009 (and no ERROR frame) past maxPayload. Reading up to twice the limit lets the
 * relay answer most oversized frames with its own `frame_too_large` ERROR before closing with 1009.
 */
const WS_MAX_PAYLOAD = 2 * MAX_FRAME_BYTES;

export interface RelayServer {
  http: http.Server;
  connections: Set<Connection>;
  /** Refuse new HTTP requests' health and new sockets from now on. */
  stopAccepting(): void;
}

/**
 * The relay's HTTP server: /healthz, /metrics, POST /devices/revoke, /push/vapid-public-key, the WebSocket at /sync,
 * and the built PWA for everything else.
 */
export function createRelayServer(ctx: RelayContext): RelayServer {
  const connections = new Set<Connection>();
  let accepting = true;
  // The relay tracks its sockets in `connections`: ws's own client set would hold a second entry and close listener
  // per socket.
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: WS_MAX_PAYLOAD,
    perMessageDeflate: false,
  });

  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    const work =
      pathname === '/healthz'
        ? serveHealth(res, ctx.storage, !accepting, ctx.fanout)
        : pathname === '/metrics'
          ? serveMetrics(res, ctx.metrics)
          : pathname === REVOKE_PATH
            ? serveRevokeDevice(req, res, ctx)
            : pathname === VAPID_PUBLIC_KEY_PATH
              ? serveVapidPublicKey(res, ctx.vapid.publicKey)
              : serveStatic(req, res, ctx.config.buildDir);
    work.catch((error: unknown) => {
      ctx.log.error({ err: error }, 'http request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== SYNC_PATH || !accepting) {
      const status = accepting ? '404 Not Found' : '503 Service Unavailable';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => new Connection(ws, socket, ctx, connections).start());
  });

  return {
    http: server,
    connections,
    stopAccepting() {
      accepting = false;
      server.close();
      server.closeIdleConnections();
    },
  };
}

import type { ServerResponse } from 'node:http';

/** Where devices fetch the key their push subscription must name as applicationServerKey. */
export const VAPID_PUBLIC_KEY_PATH = '/push/vapid-public-key';

/**
 * GET /push/vapid-public-key: 200 {"publicKey":"<URL-safe base64 of the 65-byte P-256 point>"}. Public by design
 * (a browser needs it before subscribing); it changes only if the operator deletes the stored pair.
 */
export function serveVapidPublicKey(res: ServerResponse, publicKey: string): Promise<void> {
  res
    .writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' })
    .end(JSON.stringify({ publicKey }));
  return Promise.resolve();
}

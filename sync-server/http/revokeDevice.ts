import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { MAX_REVOKE_BODY_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../../src/lib/protocol/limits';
import type { RelayContext } from '../context';
import { applyRevocation, revocationVerifies } from '../revocation';
import { StorageError } from '../storage/StorageError';

export const REVOKE_PATH = '/devices/revoke';

/** Strict base64url of exactly `bytes` bytes (no padding, nothing Buffer would silently skip). */
const base64UrlOf = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .transform((text, ctx) => {
      const decoded = new Uint8Array(Buffer.from(text, 'base64url'));
      if (decoded.length !== bytes || Buffer.from(decoded).toString('base64url') !== text) {
        ctx.addIssue({ code: 'custom', message: `expected ${bytes} bytes in base64url` });
        return z.NEVER;
      }
      return decoded;
    });

const RevokeRequest = z.object({
  v: z.literal(1),
  device: base64UrlOf(PUBLIC_KEY_BYTES),
  at: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  signature: base64UrlOf(SIGNATURE_BYTES),
});

/**
 * POST /devices/revoke: a device revokes itself ("sign out and erase this device"), signed by its own key over
 * withDomain('hearth-revoke-v1', device ‖ u64be at). 200 {"revoked":true} (also when already revoked); 400
 * {"error","message"} for a malformed body or a bad signature; 413 over MAX_REVOKE_BODY_BYTES. Needs no socket, so
 * a device can send it the moment it is back online; the answer says nothing about any other key or account.
 */
export async function serveRevokeDevice(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RelayContext,
): Promise<void> {
  if (req.method !== 'POST') {
    reply(res, 405, { error: 'method_not_allowed', message: 'use POST' }, { Allow: 'POST' });
    return;
  }
  const body = await readBody(req);
  if (body === 'too_large') {
    reply(res, 413, { error: 'body_too_large', message: `the body is over ${MAX_REVOKE_BODY_BYTES} bytes` });
    req.resume();
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    reply(res, 400, { error: 'malformed_request', message: 'the body is not JSON' });
    return;
  }
  const parsed = RevokeRequest.safeParse(json);
  if (!parsed.success) {
    reply(res, 400, {
      error: 'malformed_request',
      message: 'expected {"v":1,"device":base64url(32),"at":ms,"signature":base64url(64)}',
    });
    return;
  }
  const { device, at, signature } = parsed.data;
  if (!revocationVerifies(device, device, at, signature)) {
    reply(res, 400, {
      error: 'bad_signature',
      message: 'the signature is not the device’s over this revocation',
    });
    return;
  }
  try {
    await applyRevocation(device, at, signature, ctx);
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    ctx.log.error({ err: error }, 'storage failed recording a revocation');
    reply(res, 503, {
      error: 'storage_failed',
      message: 'the relay could not reach its storage; retry later',
    });
    return;
  }
  ctx.log.info('device revoked itself');
  reply(res, 200, { revoked: true });
}

/** The body, or 'too_large' as soon as it passes the limit (the rest is not buffered). */
function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_REVOKE_BODY_BYTES) {
      resolve('too_large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_REVOKE_BODY_BYTES) {
        done = true;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers })
    .end(JSON.stringify(body));
}

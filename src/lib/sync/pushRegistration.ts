import { sha256 } from '../crypto';
import { bytesEqual } from '../protocol/hex';
import type { RelayConnection } from './relayConnection';

/** What the relay needs of a browser's PushSubscription (RFC 8030 endpoint, RFC 8291 keys). */
export interface PushKeys {
  endpoint: string;
  p256dh: Uint8Array;
  auth: Uint8Array;
}

/** Where the relay serves its VAPID public key: the same origin that served the app. */
const VAPID_KEY_PATH = '/push/vapid-public-key';

/** The relay's VAPID public key (URL-safe base64), for `pushManager.subscribe`. Throws when it cannot be fetched. */
export async function fetchVapidPublicKey(): Promise<string> {
  const response = await fetch(VAPID_KEY_PATH, { cache: 'no-store' });
  if (!response.ok) throw new Error(`the relay answered ${response.status} for its push key`);
  const body: unknown = await response.json();
  if (
    typeof body !== 'object' ||
    body === null ||
    !('publicKey' in body) ||
    typeof body.publicKey !== 'string'
  ) {
    throw new Error('the relay sent no push key');
  }
  return body.publicKey;
}

/** The relay names a subscription by SHA-256 of its endpoint, never by the endpoint (a capability URL). */
function endpointId(endpoint: string): Promise<Uint8Array> {
  return sha256(new TextEncoder().encode(endpoint));
}

/** Register this device's push subscription with the relay (idempotent). Rejects with `RelayError`. */
export async function registerPush(connection: RelayConnection, keys: PushKeys): Promise<void> {
  const id = await endpointId(keys.endpoint);
  await connection.request(
    { type: 'pushSubscribe', endpoint: keys.endpoint, p256dh: keys.p256dh, auth: keys.auth },
    'pushSubscribed',
    (reply) => bytesEqual(reply.endpointId, id),
    id,
  );
}

/** Ask the relay to forget this device's subscription with `endpoint` (idempotent). Rejects with `RelayError`. */
export async function unregisterPush(connection: RelayConnection, endpoint: string): Promise<void> {
  const id = await endpointId(endpoint);
  await connection.request(
    { type: 'pushUnsubscribe', endpoint },
    'pushUnsubscribed',
    (reply) => bytesEqual(reply.endpointId, id),
    id,
  );
}

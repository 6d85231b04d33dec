import { createHash } from 'node:crypto';

/**
 * The id of a push endpoint on the wire: SHA-256 of the URL's UTF-8 bytes. Replies and errors name a subscription
 * by it, so the endpoint (a capability URL) is never echoed back or written into an error's ref.
 */
export function pushEndpointId(endpoint: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(endpoint, 'utf8').digest());
}

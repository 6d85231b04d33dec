import webpush from 'web-push';
import type { RelayStorage, VapidKeyPair } from '../storage/RelayStorage';

/**
 * The relay's VAPID key pair (RFC 8292): made on the first start and kept by storage (a 0600 file beside SQLite,
 * or one PostgreSQL row every relay shares), then reused, since a new pair would end every device's subscription.
 */
export function loadVapidKeys(storage: RelayStorage): Promise<VapidKeyPair> {
  return storage.claimVapidKeys(webpush.generateVAPIDKeys());
}

import webpush from 'web-push';
import { bytesEqual, toHex } from '../../src/lib/protocol/hex';
import { keyTag, type Logger } from '../log';
import type { RelayMetrics } from '../metrics';
import type { PushSubscriptionRecord, RelayStorage, VapidKeyPair } from '../storage/RelayStorage';
import { PUSH_PAYLOAD, PUSH_TOPIC, PUSH_TTL } from './pushMessage';
import type { RoomPresence } from './roomPresence';

/** A push service that has not answered in this long counts as failed; the next message tries again. */
const PUSH_TIMEOUT_MS = 10_000;
/** Forget coalescing times older than the window once this many devices are remembered. */
const SWEEP_AT = 4096;

export interface PushNotifierOptions {
  storage: RelayStorage;
  presence: RoomPresence;
  metrics: RelayMetrics;
  log: Logger;
  vapid: VapidKeyPair;
  vapidSubject: string;
  coalesceMs: number;
}

export type PushFailure = 'gone' | 'refused' | 'unreachable';

/**
 * Sends the content-free push after envelopes are committed to a room: to each member device with a subscription,
 * except the authors of those envelopes and devices reading the room on this relay now, at most once per device
 * per `coalesceMs`. Runs after the acks and is never awaited by them. Scaled out, the relay that committed the
 * envelopes sends; a device reading the room through another relay may get a push it did not need.
 */
export class PushNotifier {
  private readonly lastPushAt = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: PushNotifierOptions) {}

  /** Envelopes by `authors` were committed to `room`: notify whoever should hear of it, in the background. */
  roomCommitted(room: Uint8Array, authors: Uint8Array[]): void {
    const work = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.notifyRoom(room, authors))
      .catch((error: unknown) => this.options.log.error({ err: error }, 'push notification failed'))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Resolves once every push started so far has finished (graceful shutdown, before storage closes). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async notifyRoom(room: Uint8Array, authors: Uint8Array[]): Promise<void> {
    const { storage, presence, metrics, coalesceMs } = this.options;
    const targets = await storage.listPushTargets(room);
    if (targets.length === 0) return;
    const now = Date.now();
    if (this.lastPushAt.size > SWEEP_AT) this.sweep(now);
    const due: PushSubscriptionRecord[] = [];
    for (const [deviceKey, subscriptions] of byDevice(targets)) {
      const device = subscriptions[0].device;
      if (authors.every((author) => bytesEqual(author, device))) continue; // only its own envelopes
      if (presence.isPresent(room, device)) continue; // reading the room now
      const last = this.lastPushAt.get(deviceKey);
      if (last !== undefined && now - last < coalesceMs) {
        metrics.pushesCoalesced.inc();
        continue;
      }
      this.lastPushAt.set(deviceKey, now);
      due.push(...subscriptions);
    }
    await Promise.all(due.map((subscription) => this.send(subscription)));
  }

  private async send(subscription: PushSubscriptionRecord): Promise<void> {
    const { metrics, log } = this.options;
    // Logged instead of the endpoint: its path is the capability to push to that browser.
    const where = { device: keyTag(subscription.device), service: new URL(subscription.endpoint).host };
    let status: number;
    try {
      status = await this.post(subscription);
    } catch (error) {
      metrics.pushesFailed.inc({ reason: 'unreachable' });
      log.warn(
        { ...where, error: error instanceof Error ? error.name : 'unknown' },
        'push service unreachable',
      );
      return;
    }
    if (status >= 200 && status < 300) {
      metrics.pushesSent.inc();
      return;
    }
    if (status === 404 || status === 410) {
      // The browser unsubscribed or the subscription expired: it will never accept another push. Counted once
      // deleted, so the metric never runs ahead of storage.
      await this.options.storage.deletePushEndpoint(subscription.endpoint);
      metrics.pushesFailed.inc({ reason: 'gone' });
      log.info({ ...where, status }, 'push subscription gone; deleted');
      return;
    }
    metrics.pushesFailed.inc({ reason: 'refused' });
    log.warn({ ...where, status }, 'push service refused a push');
  }

  /**
   * web-push encrypts the payload (RFC 8291 aes128gcm) and signs the VAPID header (RFC 8292); the relay posts it
   * itself, so it can bound the time and refuse redirects. Resolves with the HTTP status.
   */
  private async post(subscription: PushSubscriptionRecord): Promise<number> {
    const { vapid, vapidSubject } = this.options;
    const details = webpush.generateRequestDetails(
      {
        endpoint: subscription.endpoint,
        keys: { p256dh: base64Url(subscription.p256dh), auth: base64Url(subscription.auth) },
      },
      PUSH_PAYLOAD,
      {
        vapidDetails: { subject: vapidSubject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
        TTL: PUSH_TTL,
        urgency: 'normal',
        topic: PUSH_TOPIC,
        contentEncoding: 'aes128gcm',
      },
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(details.headers)) {
      // fetch sets Content-Length from the body itself.
      if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
    }
    const response = await fetch(details.endpoint, {
      method: 'POST',
      headers,
      body: new Uint8Array(details.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.status;
  }

  private sweep(now: number): void {
    for (const [device, at] of this.lastPushAt) {
      if (now - at >= this.options.coalesceMs) this.lastPushAt.delete(device);
    }
  }
}

function byDevice(targets: PushSubscriptionRecord[]): Map<string, PushSubscriptionRecord[]> {
  const devices = new Map<string, PushSubscriptionRecord[]>();
  for (const target of targets) {
    const key = toHex(target.device);
    const list = devices.get(key);
    if (list) list.push(target);
    else devices.set(key, [target]);
  }
  return devices;
}

function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

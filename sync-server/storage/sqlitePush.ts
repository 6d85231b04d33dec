import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { pushTargetsSql } from './deviceRows';
import type { PushSubscriptionRecord } from './RelayStorage';
import { writeTransaction } from './sqliteWriteTransaction';

// Rows are parsed once where they leave SQL (STYLE.md rule 4); better-sqlite3 returns BLOBs as Buffers.
const Bytes = z.instanceof(Uint8Array);
const TargetRow = z.object({ device: Bytes, endpoint: z.string(), p256dh: Bytes, auth: Bytes });

function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The push-subscription statements of SQLite storage; callers wrap them in the storage's error guard. */
export class SqlitePushSubscriptions {
  private readonly s;

  constructor(private readonly db: Database) {
    this.s = {
      upsert: db.prepare(
        `INSERT INTO push_subscriptions (endpoint, device, p256dh, auth, registered_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (endpoint) DO UPDATE SET device = excluded.device, p256dh = excluded.p256dh,
           auth = excluded.auth, registered_at = excluded.registered_at`,
      ),
      // Keep the one just registered and the newest `limit - 1` others of the device.
      trim: db.prepare(
        `DELETE FROM push_subscriptions WHERE device = ? AND endpoint <> ? AND endpoint NOT IN (
           SELECT endpoint FROM push_subscriptions WHERE device = ? AND endpoint <> ?
           ORDER BY registered_at DESC, rowid DESC LIMIT ?)`,
      ),
      deleteOwn: db.prepare('DELETE FROM push_subscriptions WHERE device = ? AND endpoint = ?'),
      deleteEndpoint: db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?'),
      targets: db.prepare(pushTargetsSql('sqlite')),
      deleteDevice: db.prepare('DELETE FROM push_subscriptions WHERE device = ?'),
    };
  }

  put(subscription: PushSubscriptionRecord, maxPerDevice: number, now: number): void {
    const device = blob(subscription.device);
    const { endpoint } = subscription;
    writeTransaction(this.db, () => {
      this.s.upsert.run(endpoint, device, blob(subscription.p256dh), blob(subscription.auth), now);
      this.s.trim.run(device, endpoint, device, endpoint, Math.max(0, maxPerDevice - 1));
    })();
  }

  deleteOwn(device: Uint8Array, endpoint: string): boolean {
    return this.s.deleteOwn.run(blob(device), endpoint).changes > 0;
  }

  deleteEndpoint(endpoint: string): void {
    this.s.deleteEndpoint.run(endpoint);
  }

  /** Forget every subscription of a revoked device (run inside the revocation's transaction). */
  deleteDevice(device: Uint8Array): void {
    this.s.deleteDevice.run(blob(device));
  }

  targets(room: Uint8Array): PushSubscriptionRecord[] {
    const key = blob(room);
    return this.s.targets.all(key, key).map((raw) => {
      const row = TargetRow.parse(raw);
      return { device: row.device, endpoint: row.endpoint, p256dh: row.p256dh, auth: row.auth };
    });
  }
}

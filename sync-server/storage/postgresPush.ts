import type pg from 'pg';
import { z } from 'zod';
import { pushTargetsSql } from './deviceRows';
import { guardStorage, inTransaction } from './pgTransaction';
import { bytea } from './pgTypes';
import type { PushSubscriptionRecord, VapidKeyPair } from './RelayStorage';

// Rows are parsed once where they leave SQL (STYLE.md rule 4); pg returns bytea as Buffer.
const Bytes = z.instanceof(Uint8Array);
const TargetRow = z.object({ device: Bytes, endpoint: z.string(), p256dh: Bytes, auth: Bytes });
const VapidRow = z.object({ public_key: z.string().min(1), private_key: z.string().min(1) });

/** The push-subscription and VAPID-key queries of PostgreSQL storage, shared by every relay on the database. */
export class PostgresPushStorage {
  constructor(private readonly pool: pg.Pool) {}

  put(subscription: PushSubscriptionRecord, maxPerDevice: number, now: number): Promise<void> {
    const device = bytea(subscription.device);
    const { endpoint } = subscription;
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO push_subscriptions (endpoint, device, p256dh, auth, registered_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (endpoint) DO UPDATE SET device = excluded.device, p256dh = excluded.p256dh,
           auth = excluded.auth, registered_at = excluded.registered_at`,
        [endpoint, device, bytea(subscription.p256dh), bytea(subscription.auth), now],
      );
      // Keep the one just registered and the newest `limit - 1` others of the device.
      await client.query(
        `DELETE FROM push_subscriptions WHERE device = $1 AND endpoint <> $2 AND endpoint NOT IN (
           SELECT endpoint FROM push_subscriptions WHERE device = $1 AND endpoint <> $2
           ORDER BY registered_at DESC, registered DESC LIMIT $3)`,
        [device, endpoint, Math.max(0, maxPerDevice - 1)],
      );
    });
  }

  deleteOwn(device: Uint8Array, endpoint: string): Promise<boolean> {
    return guardStorage(async () => {
      const result = await this.pool.query(
        'DELETE FROM push_subscriptions WHERE device = $1 AND endpoint = $2',
        [bytea(device), endpoint],
      );
      return (result.rowCount ?? 0) > 0;
    });
  }

  deleteEndpoint(endpoint: string): Promise<void> {
    return guardStorage(async () => {
      await this.pool.query('DELETE FROM push_subscriptions WHERE endpoint = $1', [endpoint]);
    });
  }

  targets(room: Uint8Array): Promise<PushSubscriptionRecord[]> {
    return guardStorage(async () => {
      const result = await this.pool.query(pushTargetsSql('postgres'), [bytea(room)]);
      return result.rows.map((raw) => {
        const row = TargetRow.parse(raw);
        return { device: row.device, endpoint: row.endpoint, p256dh: row.p256dh, auth: row.auth };
      });
    });
  }

  claimVapid(candidate: VapidKeyPair, now: number): Promise<VapidKeyPair> {
    return guardStorage(async () => {
      // Relays starting together each offer a pair; the first insert wins and every relay reads that one back.
      await this.pool.query(
        `INSERT INTO vapid_keys (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [candidate.publicKey, candidate.privateKey, now],
      );
      const result = await this.pool.query('SELECT public_key, private_key FROM vapid_keys WHERE id = 1');
      const row = VapidRow.parse(result.rows[0]);
      return { publicKey: row.public_key, privateKey: row.private_key };
    });
  }
}

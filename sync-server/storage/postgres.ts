import pg from 'pg';
import { z } from 'zod';
import type { LogEntry, Member, OwnDevice, RoomDevice } from '../../src/lib/protocol/frames';
import { MAX_DEVICES_PER_IDENTITY } from '../../src/lib/protocol/limits';
import type { Logger } from '../log';
import {
  ownDevicesSql,
  roomDevicesSql,
  standingSql,
  toOwnDevice,
  toRoomDevice,
  toStanding,
} from './deviceRows';
import { sameInvite, toStoredInvite } from './inviteRow';
import { commitAppendBatch } from './postgresAppend';
import { migratePostgres } from './postgresMigrations';
import { PostgresPushStorage } from './postgresPush';
import { guardStorage, inTransaction } from './pgTransaction';
import { bytea, pgTypes } from './pgTypes';
import type {
  AppendItem,
  AppendMembershipOutcome,
  AppendOutcome,
  ClaimOutcome,
  CreateRoomOutcome,
  DeviceKeys,
  DeviceStanding,
  KeyBundleWrite,
  LinkOutcome,
  MembershipWrite,
  NewInvite,
  NewLinkedDevice,
  Page,
  PageLimits,
  PushSubscriptionRecord,
  PutInviteOutcome,
  PutKeyBundleOutcome,
  RelayStorage,
  StoredInvite,
  VapidKeyPair,
} from './RelayStorage';

// Rows are parsed once where they leave SQL (STYLE.md rule 4); pg returns bytea as Buffer and, with the parser
// below, bigint as number.
const Bytes = z.instanceof(Uint8Array);
const Int = z.number().int();
const PageRow = z.object({ head_seq: Int, seq: Int.nullable(), bytes: Bytes.nullable() });
const MemberRow = z.object({ sign_pk: Bytes, box_pk: Bytes, proof: Bytes, invite_id: Bytes });
const RoomRow = z.object({ room: Bytes });
const CountRow = z.object({ n: Int });
const KeyRow = z.object({ identity_pk: Bytes.nullable(), revoked_at: Int.nullable() });
const GrantRow = z.object({ grant_box: Bytes });
const IdentityRow = z.object({ identity: Bytes });
const LogRow = z.object({ entry: Bytes, after_seq: Int });
const SignRow = z.object({ sign_pk: Bytes });
const RoomStateRow = z.object({ head_seq: Int, epoch: Int, log_length: Int });
const BundleRow = z.object({ epoch: Int, bundle: Bytes });

/**
 * Connect to PostgreSQL at `url`, run pending migrations, and return storage with the same semantics as SQLite's.
 * Rejects (with the cause) if the database cannot be reached or migrated.
 */
export async function openPostgresStorage(url: string, log: Logger): Promise<RelayStorage> {
  const pool = new pg.Pool({
    connectionString: url,
    types: pgTypes,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server (a restart, a failover) must not crash the relay; the pool drops that client
  // and the next query opens a fresh one.
  pool.on('error', (error) => log.warn({ err: error }, 'idle postgres connection failed'));
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresStorage(pool);
}

class PostgresStorage implements RelayStorage {
  private readonly push: PostgresPushStorage;

  constructor(private readonly pool: pg.Pool) {
    this.push = new PostgresPushStorage(pool);
  }

  ping(): Promise<void> {
    return guardStorage(async () => {
      await this.pool.query('SELECT 1');
    });
  }

  upsertDevice(device: DeviceKeys, now: number): Promise<void> {
    return guardStorage(async () => {
      await this.pool.query(
        `INSERT INTO devices (sign_pk, box_pk, first_seen, last_seen) VALUES ($1, $2, $3, $3)
         ON CONFLICT (sign_pk) DO UPDATE SET box_pk = excluded.box_pk, last_seen = excluded.last_seen`,
        [bytea(device.signPublic), bytea(device.boxPublic), now],
      );
    });
  }

  createRoom(room: Uint8Array, creator: DeviceKeys, now: number): Promise<CreateRoomOutcome> {
    return inTransaction(this.pool, async (client): Promise<CreateRoomOutcome> => {
      const inserted = await client.query(
        'INSERT INTO rooms (room, head_seq, created_at) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING',
        [bytea(room), now],
      );
      if (inserted.rowCount === 1) {
        await addMember(client, room, creator, new Uint8Array(0), new Uint8Array(0), now);
        return 'created';
      }
      return (await memberIn(client, room, creator.signPublic)) ? 'already_member' : 'exists';
    });
  }

  isMember(room: Uint8Array, signPublic: Uint8Array): Promise<boolean> {
    return guardStorage(() => memberIn(this.pool, room, signPublic));
  }

  countRooms(signPublic: Uint8Array): Promise<number> {
    return guardStorage(async () => {
      const result = await this.pool.query('SELECT COUNT(*) AS n FROM members WHERE sign_pk = $1', [
        bytea(signPublic),
      ]);
      return CountRow.parse(result.rows[0]).n;
    });
  }

  listMembers(room: Uint8Array): Promise<Member[]> {
    return guardStorage(async () => {
      const result = await this.pool.query(
        'SELECT sign_pk, box_pk, proof, invite_id FROM members WHERE room = $1 ORDER BY joined',
        [bytea(room)],
      );
      return result.rows.map((raw) => {
        const row = MemberRow.parse(raw);
        return { signPublic: row.sign_pk, boxPublic: row.box_pk, proof: row.proof, inviteId: row.invite_id };
      });
    });
  }

  commitAppends(items: AppendItem[], now: number): Promise<AppendOutcome[]> {
    // The whole batch is one transaction (group commit); postgresAppend.ts holds the row locks and the seq rule.
    return inTransaction(this.pool, (client) => commitAppendBatch(client, items, now));
  }

  readAfter(room: Uint8Array, afterSeq: number, page: PageLimits): Promise<Page> {
    // One statement, so the page and the head come from one snapshot (as SQLite's read transaction gives). Seqs
    // of a room commit in order under its row lock, so a snapshot never shows seq n+1 without n.
    return guardStorage(async () => {
      const result = await this.pool.query(
        `SELECT r.head_seq, p.seq, p.bytes
         FROM rooms r
         LEFT JOIN LATERAL (
           SELECT seq, bytes FROM (
             SELECT seq, bytes, row_number() OVER w AS n, sum(octet_length(bytes)) OVER w AS upto
             FROM (SELECT seq, bytes FROM envelopes WHERE room = r.room AND seq > $2 ORDER BY seq LIMIT $3) e
             WINDOW w AS (ORDER BY seq)
           ) sized
           WHERE n = 1 OR upto <= $4
         ) p ON true
         WHERE r.room = $1
         ORDER BY p.seq`,
        [bytea(room), afterSeq, page.maxEnvelopes, page.maxBytes],
      );
      const rows = result.rows.map((raw) => PageRow.parse(raw));
      const deliveries = rows.flatMap((row) =>
        row.seq !== null && row.bytes !== null ? [{ seq: row.seq, envelope: row.bytes }] : [],
      );
      return { deliveries, headSeq: rows[0]?.head_seq ?? 0 };
    });
  }

  putInvite(invite: NewInvite, now: number): Promise<PutInviteOutcome> {
    return inTransaction(this.pool, async (client): Promise<PutInviteOutcome> => {
      const inserted = await client.query(
        `INSERT INTO invites (invite_id, room, claim_pk, expires_at, box, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [
          bytea(invite.inviteId),
          bytea(invite.room),
          bytea(invite.claimPublic),
          invite.expiresAt,
          bytea(invite.box),
          bytea(invite.createdBy),
          now,
        ],
      );
      if (inserted.rowCount === 1) return 'stored';
      const stored = await inviteIn(client, invite.inviteId);
      return stored && sameInvite(stored, invite) ? 'stored' : 'duplicate';
    });
  }

  getInvite(inviteId: Uint8Array): Promise<StoredInvite | undefined> {
    return guardStorage(() => inviteIn(this.pool, inviteId));
  }

  claimInvite(
    inviteId: Uint8Array,
    device: DeviceKeys,
    proof: Uint8Array,
    now: number,
  ): Promise<ClaimOutcome> {
    return inTransaction(this.pool, async (client): Promise<ClaimOutcome> => {
      // The WHERE clause is the one-time guarantee: a racing claim waits for this row lock, then re-checks the
      // condition against the committed row and matches nothing.
      const marked = await client.query(
        `UPDATE invites SET used_by = $1, used_at = $2
         WHERE invite_id = $3 AND (used_by IS NULL OR used_by = $1) RETURNING room`,
        [bytea(device.signPublic), now, bytea(inviteId)],
      );
      if (marked.rows.length === 0) {
        return (await inviteIn(client, inviteId)) ? { kind: 'used' } : { kind: 'not_found' };
      }
      const room = RoomRow.parse(marked.rows[0]).room;
      await addMember(client, room, device, proof, inviteId, now);
      return { kind: 'claimed', room };
    });
  }

  deviceStanding(signPublic: Uint8Array): Promise<DeviceStanding | undefined> {
    return guardStorage(async () => {
      const result = await this.pool.query(standingSql('postgres'), [bytea(signPublic)]);
      return result.rows.length === 0 ? undefined : toStanding(result.rows[0]);
    });
  }

  linkDevice(link: NewLinkedDevice, now: number): Promise<LinkOutcome> {
    return inTransaction(this.pool, async (client): Promise<LinkOutcome> => {
      const device = bytea(link.signPublic);
      const identity = bytea(link.identity.signPublic);
      // The identity's row lock serialises links of one identity, so the device count cannot be raced past.
      await client.query('SELECT 1 FROM devices WHERE sign_pk = $1 FOR UPDATE', [identity]);
      const existingResult = await client.query(
        'SELECT identity_pk, revoked_at FROM devices WHERE sign_pk = $1 FOR UPDATE',
        [device],
      );
      const existing = existingResult.rows.length > 0 ? KeyRow.parse(existingResult.rows[0]) : undefined;
      if (existing) {
        // A retry of the same link is fine; any other use of the key (revoked, linked elsewhere, an identity
        // with rooms or devices of its own) is not: a device key acts for exactly one identity, once.
        const linkedHere =
          existing.identity_pk !== null && Buffer.compare(existing.identity_pk, identity) === 0;
        const inUse =
          existing.revoked_at !== null ||
          (existing.identity_pk !== null && !linkedHere) ||
          (existing.identity_pk === null &&
            ((await countWhere(client, 'members', 'sign_pk', device)) > 0 ||
              (await countLinked(client, device)) > 0));
        if (inUse) return 'exists';
      }
      if (!existing?.identity_pk && (await countLinked(client, identity)) >= MAX_DEVICES_PER_IDENTITY) {
        return 'too_many';
      }
      await client.query(
        `INSERT INTO devices (sign_pk, box_pk, first_seen, last_seen, identity_pk, certificate, created_at)
         VALUES ($1, $2, $3, $3, $4, $5, $6)
         ON CONFLICT (sign_pk) DO UPDATE SET box_pk = excluded.box_pk, identity_pk = excluded.identity_pk,
           certificate = excluded.certificate, created_at = excluded.created_at`,
        [device, bytea(link.boxPublic), now, identity, bytea(link.certificate), link.createdAt],
      );
      await client.query('DELETE FROM link_grants WHERE expires_at <= $1', [now]);
      await client.query(
        `INSERT INTO link_grants (link_id, device_pk, grant_box, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (link_id) DO UPDATE SET device_pk = excluded.device_pk, grant_box = excluded.grant_box,
           expires_at = excluded.expires_at`,
        [bytea(link.linkId), device, bytea(link.grant), link.grantExpiresAt],
      );
      return 'linked';
    });
  }

  getGrant(linkId: Uint8Array, now: number): Promise<Uint8Array | undefined> {
    return guardStorage(async () => {
      const result = await this.pool.query(
        'SELECT grant_box FROM link_grants WHERE link_id = $1 AND expires_at > $2',
        [bytea(linkId), now],
      );
      return result.rows.length === 0 ? undefined : GrantRow.parse(result.rows[0]).grant_box;
    });
  }

  revokeDevice(device: Uint8Array, at: number, signature: Uint8Array, now: number): Promise<Uint8Array> {
    return inTransaction(this.pool, async (client): Promise<Uint8Array> => {
      const key = bytea(device);
      await client.query(
        `INSERT INTO devices (sign_pk, box_pk, first_seen, last_seen, revoked_at, revocation)
         VALUES ($1, ''::bytea, $2, $2, $3, $4)
         ON CONFLICT (sign_pk) DO UPDATE SET revoked_at = excluded.revoked_at, revocation = excluded.revocation
         WHERE devices.revoked_at IS NULL`,
        [key, now, at, bytea(signature)],
      );
      await client.query('DELETE FROM link_grants WHERE device_pk = $1', [key]);
      // A removed device is told nothing more, not even that a message arrived.
      await client.query('DELETE FROM push_subscriptions WHERE device = $1', [key]);
      const result = await client.query(
        'SELECT COALESCE(identity_pk, sign_pk) AS identity FROM devices WHERE sign_pk = $1',
        [key],
      );
      return IdentityRow.parse(result.rows[0]).identity;
    });
  }

  listOwnDevices(identity: Uint8Array): Promise<OwnDevice[]> {
    return guardStorage(async () => {
      const result = await this.pool.query(ownDevicesSql('postgres'), [bytea(identity)]);
      return result.rows.map((raw) => toOwnDevice(raw));
    });
  }

  listRoomDevices(room: Uint8Array): Promise<RoomDevice[]> {
    return guardStorage(async () => {
      const result = await this.pool.query(roomDevicesSql('postgres'), [bytea(room)]);
      return result.rows.map((raw) => toRoomDevice(raw));
    });
  }

  listRoomsOf(identity: Uint8Array): Promise<Uint8Array[]> {
    return guardStorage(async () => {
      const result = await this.pool.query('SELECT room FROM members WHERE sign_pk = $1', [bytea(identity)]);
      return result.rows.map((raw) => RoomRow.parse(raw).room);
    });
  }

  readMembershipLog(room: Uint8Array): Promise<LogEntry[]> {
    return guardStorage(async () => {
      const result = await this.pool.query(
        'SELECT entry, after_seq FROM membership_log WHERE room = $1 ORDER BY idx',
        [bytea(room)],
      );
      return result.rows.map((raw) => {
        const row = LogRow.parse(raw);
        return { entry: row.entry, afterSeq: row.after_seq };
      });
    });
  }

  roomCreator(room: Uint8Array): Promise<Uint8Array | undefined> {
    return guardStorage(async () => {
      const result = await this.pool.query(
        `SELECT sign_pk FROM members WHERE room = $1 AND octet_length(invite_id) = 0 ORDER BY joined LIMIT 1`,
        [bytea(room)],
      );
      return result.rows.length === 0 ? undefined : SignRow.parse(result.rows[0]).sign_pk;
    });
  }

  appendMembership(change: MembershipWrite, now: number): Promise<AppendMembershipOutcome> {
    return inTransaction(this.pool, async (client): Promise<AppendMembershipOutcome> => {
      // The room's row lock orders this change against appends (which take it too) and other changes.
      const state = await lockRoomState(client, change.room);
      if (!state || state.log_length !== change.index) return { kind: 'stale' };
      await client.query(
        `INSERT INTO membership_log (room, idx, entry, after_seq, accepted_at) VALUES ($1, $2, $3, $4, $5)`,
        [bytea(change.room), change.index, bytea(change.entry), state.head_seq, now],
      );
      if (change.kind === 'add') {
        await addMember(client, change.room, change.subject, new Uint8Array(0), new Uint8Array(0), now);
      } else if (change.kind === 'remove' || change.kind === 'leave') {
        await client.query('DELETE FROM members WHERE room = $1 AND sign_pk = $2', [
          bytea(change.room),
          bytea(change.subject.signPublic),
        ]);
      }
      await client.query('UPDATE rooms SET manager = $1, epoch = $2 WHERE room = $3', [
        bytea(change.manager),
        change.epoch,
        bytea(change.room),
      ]);
      return { kind: 'appended', afterSeq: state.head_seq };
    });
  }

  putKeyBundle(bundle: KeyBundleWrite, now: number): Promise<PutKeyBundleOutcome> {
    return inTransaction(this.pool, async (client): Promise<PutKeyBundleOutcome> => {
      const state = await lockRoomState(client, bundle.room);
      if (!state || state.log_length === 0) return 'no_log';
      if (bundle.epoch < state.epoch) return 'stale';
      if (bundle.epoch > state.epoch) return 'future';
      const inserted = await client.query(
        `INSERT INTO key_bundles (room, epoch, signer, bundle, stored_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [bytea(bundle.room), bundle.epoch, bytea(bundle.signer), bytea(bundle.bundle), now],
      );
      if (inserted.rowCount === 1) return 'stored';
      const kept = await client.query(
        'SELECT epoch, bundle FROM key_bundles WHERE room = $1 AND epoch = $2',
        [bytea(bundle.room), bundle.epoch],
      );
      return Buffer.compare(BundleRow.parse(kept.rows[0]).bundle, bytea(bundle.bundle)) === 0
        ? 'stored'
        : 'conflict';
    });
  }

  latestKeyBundle(room: Uint8Array): Promise<{ epoch: number; bundle: Uint8Array } | undefined> {
    return guardStorage(async () => {
      const result = await this.pool.query(
        'SELECT epoch, bundle FROM key_bundles WHERE room = $1 ORDER BY epoch DESC LIMIT 1',
        [bytea(room)],
      );
      return result.rows.length === 0 ? undefined : BundleRow.parse(result.rows[0]);
    });
  }

  putPushSubscription(
    subscription: PushSubscriptionRecord,
    maxPerDevice: number,
    now: number,
  ): Promise<void> {
    return this.push.put(subscription, maxPerDevice, now);
  }

  deletePushSubscription(device: Uint8Array, endpoint: string): Promise<boolean> {
    return this.push.deleteOwn(device, endpoint);
  }

  deletePushEndpoint(endpoint: string): Promise<void> {
    return this.push.deleteEndpoint(endpoint);
  }

  listPushTargets(room: Uint8Array): Promise<PushSubscriptionRecord[]> {
    return this.push.targets(room);
  }

  claimVapidKeys(candidate: VapidKeyPair): Promise<VapidKeyPair> {
    // In the database, not a file: every relay behind the load balancer must sign with the same key.
    return this.push.claimVapid(candidate, Date.now());
  }

  close(): Promise<void> {
    return guardStorage(() => this.pool.end());
  }
}

async function countWhere(
  db: Queryable,
  table: 'members',
  column: 'sign_pk',
  value: Buffer,
): Promise<number> {
  const result = await db.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = $1`, [value]);
  return CountRow.parse(result.rows[0]).n;
}

async function countLinked(db: Queryable, identity: Buffer): Promise<number> {
  const result = await db.query(
    'SELECT COUNT(*) AS n FROM devices WHERE identity_pk = $1 AND revoked_at IS NULL',
    [identity],
  );
  return CountRow.parse(result.rows[0]).n;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Lock the room's row and read its head seq, key epoch and log length; undefined if there is no such room. */
async function lockRoomState(
  client: Queryable,
  room: Uint8Array,
): Promise<z.infer<typeof RoomStateRow> | undefined> {
  const result = await client.query(
    `SELECT head_seq, epoch, (SELECT COUNT(*) FROM membership_log l WHERE l.room = rooms.room) AS log_length
     FROM rooms WHERE room = $1 FOR UPDATE`,
    [bytea(room)],
  );
  return result.rows.length === 0 ? undefined : RoomStateRow.parse(result.rows[0]);
}

async function memberIn(db: Queryable, room: Uint8Array, signPublic: Uint8Array): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM members WHERE room = $1 AND sign_pk = $2', [
    bytea(room),
    bytea(signPublic),
  ]);
  return result.rows.length > 0;
}

async function addMember(
  db: Queryable,
  room: Uint8Array,
  device: DeviceKeys,
  proof: Uint8Array,
  inviteId: Uint8Array,
  now: number,
): Promise<void> {
  await db.query(
    `INSERT INTO members (room, sign_pk, box_pk, proof, invite_id, added_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [bytea(room), bytea(device.signPublic), bytea(device.boxPublic), bytea(proof), bytea(inviteId), now],
  );
}

async function inviteIn(db: Queryable, inviteId: Uint8Array): Promise<StoredInvite | undefined> {
  const result = await db.query(
    `SELECT invite_id, room, claim_pk, expires_at, box, created_by, used_by FROM invites WHERE invite_id = $1`,
    [bytea(inviteId)],
  );
  return result.rows.length === 0 ? undefined : toStoredInvite(result.rows[0]);
}

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { Delivery, LogEntry, Member, OwnDevice, RoomDevice } from '../../src/lib/protocol/frames';
import { MAX_DEVICES_PER_IDENTITY } from '../../src/lib/protocol/limits';
import {
  ownDevicesSql,
  roomDevicesSql,
  standingSql,
  toOwnDevice,
  toStanding,
  toRoomDevice,
} from './deviceRows';
import { sameInvite, toStoredInvite } from './inviteRow';
import { judgeAppend } from './judgeAppend';
import { StorageError } from './StorageError';
import { migrate } from './sqliteSchema';
import { SqlitePushSubscriptions } from './sqlitePush';
import { claimVapidFile } from './vapidFile';
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
import { writeTransaction } from './sqliteWriteTransaction';

// Rows are parsed once where they leave SQL (STYLE.md rule 4); better-sqlite3 returns BLOBs as Buffers.
const Bytes = z.instanceof(Uint8Array);
const Int = z.number().int();
const SeqRow = z.object({ seq: Int, bytes: Bytes });
const EnvelopeRefRow = z.object({ author: Bytes, clock: Int, seq: Int });
const MemberRow = z.object({ sign_pk: Bytes, box_pk: Bytes, proof: Bytes, invite_id: Bytes });
const CountRow = z.object({ n: Int });
const ClockRow = z.object({ clock: Int.nullable() });
const HeadRow = z.object({ head_seq: Int });
const KeyRow = z.object({ identity_pk: Bytes.nullable(), revoked_at: Int.nullable() });
const GrantRow = z.object({ grant_box: Bytes });
const RoomRow = z.object({ room: Bytes });
const IdentityRow = z.object({ identity: Bytes });
const RevokedRow = z.object({ revoked_at: Int.nullable() });
const LogRow = z.object({ entry: Bytes, after_seq: Int });
const SignRow = z.object({ sign_pk: Bytes });
const RoomStateRow = z.object({ head_seq: Int, epoch: Int, log_length: Int });
const BundleRow = z.object({ epoch: Int, bundle: Bytes });

/** better-sqlite3 binds Buffers as BLOBs; wrap without copying. */
function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Pages the WAL may reach before a commit also checkpoints it into the database file (SQLite's default is 1,000).
 * Across many rooms a group commit dirties a few hundred scattered index pages, so at 1,000 nearly every other commit
 * copied them back, on the main thread; at 20,000 (about 80 MB of WAL) each hot page is copied back once per many
 * commits. Measured on 200 rooms x 1 envelope per commit: 61-63 -> 47-48 µs of CPU per append.
 */
const WAL_AUTOCHECKPOINT_PAGES = 20_000;

/** Open (creating if needed) `dataDir/hearth.sqlite` with durable commits: an ack means the row survives a crash. */
export function openSqliteStorage(dataDir: string): RelayStorage {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'hearth.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return new SqliteStorage(db, dataDir);
}

class SqliteStorage implements RelayStorage {
  private readonly s;
  private readonly push: SqlitePushSubscriptions;

  constructor(
    private readonly db: Database.Database,
    private readonly dataDir: string,
  ) {
    this.push = new SqlitePushSubscriptions(db);
    this.s = {
      ping: db.prepare('SELECT 1 AS n'),
      upsertDevice: db.prepare(
        `INSERT INTO devices (sign_pk, box_pk, first_seen, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (sign_pk) DO UPDATE SET box_pk = excluded.box_pk, last_seen = excluded.last_seen`,
      ),
      insertRoom: db.prepare('INSERT OR IGNORE INTO rooms (room, head_seq, created_at) VALUES (?, 0, ?)'),
      insertMember: db.prepare(
        `INSERT OR IGNORE INTO members (room, sign_pk, box_pk, proof, invite_id, added_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      isMember: db.prepare('SELECT COUNT(*) AS n FROM members WHERE room = ? AND sign_pk = ?'),
      countRooms: db.prepare('SELECT COUNT(*) AS n FROM members WHERE sign_pk = ?'),
      listMembers: db.prepare(
        'SELECT sign_pk, box_pk, proof, invite_id FROM members WHERE room = ? ORDER BY rowid',
      ),
      envelopeById: db.prepare('SELECT author, clock, seq FROM envelopes WHERE room = ? AND id = ?'),
      lastClock: db.prepare('SELECT MAX(clock) AS clock FROM envelopes WHERE room = ? AND author = ?'),
      bumpHead: db.prepare('UPDATE rooms SET head_seq = head_seq + 1 WHERE room = ? RETURNING head_seq'),
      insertEnvelope: db.prepare(
        `INSERT INTO envelopes (room, seq, id, author, clock, bytes, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      readAfter: db.prepare(
        'SELECT seq, bytes FROM envelopes WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      head: db.prepare('SELECT head_seq FROM rooms WHERE room = ?'),
      insertInvite: db.prepare(
        `INSERT OR IGNORE INTO invites (invite_id, room, claim_pk, expires_at, box, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      invite: db.prepare(
        `SELECT invite_id, room, claim_pk, expires_at, box, created_by, used_by FROM invites
         WHERE invite_id = ?`,
      ),
      standing: db.prepare(standingSql('sqlite')),
      keyRow: db.prepare('SELECT identity_pk, revoked_at FROM devices WHERE sign_pk = ?'),
      isLinkedTo: db.prepare(
        'SELECT COUNT(*) AS n FROM devices WHERE identity_pk = ? AND revoked_at IS NULL',
      ),
      linkDevice: db.prepare(
        `INSERT INTO devices (sign_pk, box_pk, first_seen, last_seen, identity_pk, certificate, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sign_pk) DO UPDATE SET box_pk = excluded.box_pk, identity_pk = excluded.identity_pk,
           certificate = excluded.certificate, created_at = excluded.created_at`,
      ),
      dropExpiredGrants: db.prepare('DELETE FROM link_grants WHERE expires_at <= ?'),
      putGrant: db.prepare(
        'INSERT OR REPLACE INTO link_grants (link_id, device_pk, grant_box, expires_at) VALUES (?, ?, ?, ?)',
      ),
      grant: db.prepare('SELECT grant_box FROM link_grants WHERE link_id = ? AND expires_at > ?'),
      revoke: db.prepare(
        `INSERT INTO devices (sign_pk, box_pk, first_seen, last_seen, revoked_at, revocation)
         VALUES (?, x'', ?, ?, ?, ?)
         ON CONFLICT (sign_pk) DO UPDATE SET revoked_at = excluded.revoked_at, revocation = excluded.revocation
         WHERE devices.revoked_at IS NULL`,
      ),
      dropGrantsOf: db.prepare('DELETE FROM link_grants WHERE device_pk = ?'),
      identityOf: db.prepare(
        'SELECT COALESCE(identity_pk, sign_pk) AS identity FROM devices WHERE sign_pk = ?',
      ),
      revokedAt: db.prepare('SELECT revoked_at FROM devices WHERE sign_pk = ?'),
      ownDevices: db.prepare(ownDevicesSql('sqlite')),
      roomDevices: db.prepare(roomDevicesSql('sqlite')),
      roomsOf: db.prepare('SELECT room FROM members WHERE sign_pk = ?'),
      readLog: db.prepare('SELECT entry, after_seq FROM membership_log WHERE room = ? ORDER BY idx'),
      creator: db.prepare(
        'SELECT sign_pk FROM members WHERE room = ? AND length(invite_id) = 0 ORDER BY rowid LIMIT 1',
      ),
      roomState: db.prepare(
        `SELECT head_seq, epoch, (SELECT COUNT(*) FROM membership_log l WHERE l.room = rooms.room) AS log_length
         FROM rooms WHERE room = ?`,
      ),
      insertLogEntry: db.prepare(
        'INSERT INTO membership_log (room, idx, entry, after_seq, accepted_at) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteMember: db.prepare('DELETE FROM members WHERE room = ? AND sign_pk = ?'),
      setRoomState: db.prepare('UPDATE rooms SET manager = ?, epoch = ? WHERE room = ?'),
      insertBundle: db.prepare(
        `INSERT OR IGNORE INTO key_bundles (room, epoch, signer, bundle, stored_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      bundleAt: db.prepare('SELECT epoch, bundle FROM key_bundles WHERE room = ? AND epoch = ?'),
      latestBundle: db.prepare(
        'SELECT epoch, bundle FROM key_bundles WHERE room = ? ORDER BY epoch DESC LIMIT 1',
      ),
      markUsed: db.prepare(
        `UPDATE invites SET used_by = ?, used_at = ? WHERE invite_id = ? AND (used_by IS NULL OR used_by = ?)
         RETURNING room`,
      ),
    };
  }

  ping(): Promise<void> {
    return this.guard(() => {
      CountRow.parse(this.s.ping.get());
    });
  }

  upsertDevice(device: DeviceKeys, now: number): Promise<void> {
    return this.guard(() => {
      this.s.upsertDevice.run(blob(device.signPublic), blob(device.boxPublic), now, now);
    });
  }

  createRoom(room: Uint8Array, creator: DeviceKeys, now: number): Promise<CreateRoomOutcome> {
    return this.guard(
      writeTransaction(this.db, (): CreateRoomOutcome => {
        const created = this.s.insertRoom.run(blob(room), now).changes === 1;
        if (created) {
          this.addMember(room, creator, new Uint8Array(0), new Uint8Array(0), now);
          return 'created';
        }
        return this.memberSync(room, creator.signPublic) ? 'already_member' : 'exists';
      }),
    );
  }

  isMember(room: Uint8Array, signPublic: Uint8Array): Promise<boolean> {
    return this.guard(() => this.memberSync(room, signPublic));
  }

  countRooms(signPublic: Uint8Array): Promise<number> {
    return this.guard(() => CountRow.parse(this.s.countRooms.get(blob(signPublic))).n);
  }

  listMembers(room: Uint8Array): Promise<Member[]> {
    return this.guard(() => {
      return this.s.listMembers.all(blob(room)).map((raw) => {
        const row = MemberRow.parse(raw);
        return { signPublic: row.sign_pk, boxPublic: row.box_pk, proof: row.proof, inviteId: row.invite_id };
      });
    });
  }

  commitAppends(items: AppendItem[], now: number): Promise<AppendOutcome[]> {
    // One transaction for the whole batch (group commit). Items are judged and inserted in order, so a later
    // item sees the ids and clocks of earlier ones through the same statements.
    return this.guard(writeTransaction(this.db, () => items.map((item) => this.appendOne(item, now))));
  }

  readAfter(room: Uint8Array, afterSeq: number, page: PageLimits): Promise<Page> {
    return this.guard(
      this.db.transaction((): Page => {
        const deliveries: Delivery[] = [];
        let bytes = 0;
        for (const raw of this.s.readAfter.iterate(blob(room), afterSeq, page.maxEnvelopes)) {
          const row = SeqRow.parse(raw);
          if (deliveries.length > 0 && bytes + row.bytes.length > page.maxBytes) break;
          deliveries.push({ seq: row.seq, envelope: row.bytes });
          bytes += row.bytes.length;
        }
        const head = this.s.head.get(blob(room));
        return { deliveries, headSeq: head ? HeadRow.parse(head).head_seq : 0 };
      }),
    );
  }

  putInvite(invite: NewInvite, now: number): Promise<PutInviteOutcome> {
    return this.guard(
      writeTransaction(this.db, (): PutInviteOutcome => {
        const inserted = this.s.insertInvite.run(
          blob(invite.inviteId),
          blob(invite.room),
          blob(invite.claimPublic),
          invite.expiresAt,
          blob(invite.box),
          blob(invite.createdBy),
          now,
        );
        if (inserted.changes === 1) return 'stored';
        const stored = this.inviteSync(invite.inviteId);
        return stored && sameInvite(stored, invite) ? 'stored' : 'duplicate';
      }),
    );
  }

  getInvite(inviteId: Uint8Array): Promise<StoredInvite | undefined> {
    return this.guard(() => this.inviteSync(inviteId));
  }

  claimInvite(
    inviteId: Uint8Array,
    device: DeviceKeys,
    proof: Uint8Array,
    now: number,
  ): Promise<ClaimOutcome> {
    return this.guard(
      writeTransaction(this.db, (): ClaimOutcome => {
        const invite = this.inviteSync(inviteId);
        if (!invite) return { kind: 'not_found' };
        const signPk = blob(device.signPublic);
        // The WHERE clause is the one-time guarantee: only an unused invite, or one this device already holds.
        if (!this.s.markUsed.get(signPk, now, blob(inviteId), signPk)) return { kind: 'used' };
        this.addMember(invite.room, device, proof, inviteId, now);
        return { kind: 'claimed', room: invite.room };
      }),
    );
  }

  deviceStanding(signPublic: Uint8Array): Promise<DeviceStanding | undefined> {
    return this.guard(() => {
      const raw = this.s.standing.get(blob(signPublic));
      return raw ? toStanding(raw) : undefined;
    });
  }

  linkDevice(link: NewLinkedDevice, now: number): Promise<LinkOutcome> {
    return this.guard(
      writeTransaction(this.db, (): LinkOutcome => {
        const device = blob(link.signPublic);
        const identity = blob(link.identity.signPublic);
        const existingRaw = this.s.keyRow.get(device);
        const existing = existingRaw ? KeyRow.parse(existingRaw) : undefined;
        if (existing) {
          // A retry of the same link is fine; any other use of the key (revoked, linked elsewhere, an identity
          // with rooms or devices of its own) is not: a device key acts for exactly one identity, once.
          const linkedHere =
            existing.identity_pk !== null && Buffer.compare(existing.identity_pk, identity) === 0;
          const inUse =
            existing.revoked_at !== null ||
            (existing.identity_pk !== null && !linkedHere) ||
            (existing.identity_pk === null &&
              (CountRow.parse(this.s.countRooms.get(device)).n > 0 ||
                CountRow.parse(this.s.isLinkedTo.get(device)).n > 0));
          if (inUse) return 'exists';
        }
        if (
          !existing?.identity_pk &&
          CountRow.parse(this.s.isLinkedTo.get(identity)).n >= MAX_DEVICES_PER_IDENTITY
        ) {
          return 'too_many';
        }
        this.s.linkDevice.run(
          device,
          blob(link.boxPublic),
          now,
          now,
          identity,
          blob(link.certificate),
          link.createdAt,
        );
        this.s.dropExpiredGrants.run(now);
        this.s.putGrant.run(blob(link.linkId), device, blob(link.grant), link.grantExpiresAt);
        return 'linked';
      }),
    );
  }

  getGrant(linkId: Uint8Array, now: number): Promise<Uint8Array | undefined> {
    return this.guard(() => {
      const raw = this.s.grant.get(blob(linkId), now);
      return raw ? GrantRow.parse(raw).grant_box : undefined;
    });
  }

  revokeDevice(device: Uint8Array, at: number, signature: Uint8Array, now: number): Promise<Uint8Array> {
    return this.guard(
      writeTransaction(this.db, (): Uint8Array => {
        const key = blob(device);
        this.s.revoke.run(key, now, now, at, blob(signature));
        this.s.dropGrantsOf.run(key);
        // A removed device is told nothing more, not even that a message arrived.
        this.push.deleteDevice(device);
        return IdentityRow.parse(this.s.identityOf.get(key)).identity;
      }),
    );
  }

  listOwnDevices(identity: Uint8Array): Promise<OwnDevice[]> {
    return this.guard(() =>
      this.s.ownDevices.all(blob(identity), blob(identity)).map((raw) => toOwnDevice(raw)),
    );
  }

  listRoomDevices(room: Uint8Array): Promise<RoomDevice[]> {
    return this.guard(() => this.s.roomDevices.all(blob(room)).map((raw) => toRoomDevice(raw)));
  }

  listRoomsOf(identity: Uint8Array): Promise<Uint8Array[]> {
    return this.guard(() => this.s.roomsOf.all(blob(identity)).map((raw) => RoomRow.parse(raw).room));
  }

  readMembershipLog(room: Uint8Array): Promise<LogEntry[]> {
    return this.guard(() =>
      this.s.readLog.all(blob(room)).map((raw) => {
        const row = LogRow.parse(raw);
        return { entry: row.entry, afterSeq: row.after_seq };
      }),
    );
  }

  roomCreator(room: Uint8Array): Promise<Uint8Array | undefined> {
    return this.guard(() => {
      const raw = this.s.creator.get(blob(room));
      return raw ? SignRow.parse(raw).sign_pk : undefined;
    });
  }

  appendMembership(change: MembershipWrite, now: number): Promise<AppendMembershipOutcome> {
    return this.guard(
      writeTransaction(this.db, (): AppendMembershipOutcome => {
        const room = blob(change.room);
        const raw = this.s.roomState.get(room);
        if (!raw) return { kind: 'stale' };
        const state = RoomStateRow.parse(raw);
        if (state.log_length !== change.index) return { kind: 'stale' };
        this.s.insertLogEntry.run(room, change.index, blob(change.entry), state.head_seq, now);
        if (change.kind === 'add') {
          this.addMember(change.room, change.subject, new Uint8Array(0), new Uint8Array(0), now);
        } else if (change.kind === 'remove' || change.kind === 'leave') {
          this.s.deleteMember.run(room, blob(change.subject.signPublic));
        }
        this.s.setRoomState.run(blob(change.manager), change.epoch, room);
        return { kind: 'appended', afterSeq: state.head_seq };
      }),
    );
  }

  putKeyBundle(bundle: KeyBundleWrite, now: number): Promise<PutKeyBundleOutcome> {
    return this.guard(
      writeTransaction(this.db, (): PutKeyBundleOutcome => {
        const room = blob(bundle.room);
        const raw = this.s.roomState.get(room);
        if (!raw) return 'no_log';
        const state = RoomStateRow.parse(raw);
        if (state.log_length === 0) return 'no_log';
        if (bundle.epoch < state.epoch) return 'stale';
        if (bundle.epoch > state.epoch) return 'future';
        const inserted = this.s.insertBundle.run(
          room,
          bundle.epoch,
          blob(bundle.signer),
          blob(bundle.bundle),
          now,
        );
        if (inserted.changes === 1) return 'stored';
        const kept = BundleRow.parse(this.s.bundleAt.get(room, bundle.epoch));
        return Buffer.compare(kept.bundle, blob(bundle.bundle)) === 0 ? 'stored' : 'conflict';
      }),
    );
  }

  latestKeyBundle(room: Uint8Array): Promise<{ epoch: number; bundle: Uint8Array } | undefined> {
    return this.guard(() => {
      const raw = this.s.latestBundle.get(blob(room));
      return raw ? BundleRow.parse(raw) : undefined;
    });
  }

  putPushSubscription(
    subscription: PushSubscriptionRecord,
    maxPerDevice: number,
    now: number,
  ): Promise<void> {
    return this.guard(() => this.push.put(subscription, maxPerDevice, now));
  }

  deletePushSubscription(device: Uint8Array, endpoint: string): Promise<boolean> {
    return this.guard(() => this.push.deleteOwn(device, endpoint));
  }

  deletePushEndpoint(endpoint: string): Promise<void> {
    return this.guard(() => this.push.deleteEndpoint(endpoint));
  }

  listPushTargets(room: Uint8Array): Promise<PushSubscriptionRecord[]> {
    return this.guard(() => this.push.targets(room));
  }

  claimVapidKeys(candidate: VapidKeyPair): Promise<VapidKeyPair> {
    // A file, not a table: the private key stays out of database backups and gets its own 0600 mode.
    return this.guard(() => claimVapidFile(this.dataDir, candidate));
  }

  close(): Promise<void> {
    return this.guard(() => {
      this.db.close();
    });
  }

  /** Run synchronous SQLite work as the interface's Promise; any database failure becomes a StorageError. */
  private guard<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(new StorageError(error));
    }
  }

  private appendOne(item: AppendItem, now: number): AppendOutcome {
    const room = blob(item.room);
    const existingRow = this.s.envelopeById.get(room, blob(item.id));
    const existing = existingRow ? EnvelopeRefRow.parse(existingRow) : undefined;
    const lastClock = ClockRow.parse(this.s.lastClock.get(room, blob(item.author))).clock ?? 0;
    const revokedRaw = this.s.revokedAt.get(blob(item.author));
    const revoked = revokedRaw !== undefined && RevokedRow.parse(revokedRaw).revoked_at !== null;
    const member = this.memberSync(item.room, item.identity);
    const verdict = judgeAppend(item, existing, lastClock, revoked, member);
    if (verdict.kind !== 'insert') return verdict;
    const head = this.s.bumpHead.get(room);
    if (!head) return { kind: 'rejected', code: 'not_a_member', message: 'room does not exist' };
    const seq = HeadRow.parse(head).head_seq;
    this.s.insertEnvelope.run(room, seq, blob(item.id), blob(item.author), item.clock, blob(item.bytes), now);
    return { kind: 'stored', seq };
  }

  private memberSync(room: Uint8Array, signPublic: Uint8Array): boolean {
    return CountRow.parse(this.s.isMember.get(blob(room), blob(signPublic))).n > 0;
  }

  private addMember(
    room: Uint8Array,
    device: DeviceKeys,
    proof: Uint8Array,
    inviteId: Uint8Array,
    now: number,
  ): void {
    this.s.insertMember.run(
      blob(room),
      blob(device.signPublic),
      blob(device.boxPublic),
      blob(proof),
      blob(inviteId),
      now,
    );
  }

  private inviteSync(inviteId: Uint8Array): StoredInvite | undefined {
    const raw = this.s.invite.get(blob(inviteId));
    return raw ? toStoredInvite(raw) : undefined;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { Delivery, Member } from '../../src/lib/protocol/frames';
import { sameInvite, toStoredInvite } from './inviteRow';
import { judgeAppend } from './judgeAppend';
import { StorageError } from './StorageError';
import { migrate } from './sqliteSchema';
import { SqlitePushSubscriptions } from './sqlitePush';
import { claimVapidFile } from './vapidFile';
import type {
  AppendItem,
  AppendOutcome,
  ClaimOutcome,
  CreateRoomOutcome,
  DeviceKeys,
  NewInvite,
  Page,
  PageLimits,
  PushSubscriptionRecord,
  PutInviteOutcome,
  RelayStorage,
  StoredInvite,
  VapidKeyPair,
} from './RelayStorage';

// Rows are parsed once where they leave SQL (STYLE.md rule 4); better-sqlite3 returns BLOBs as Buffers.
const Bytes = z.instanceof(Uint8Array);
const Int = z.number().int();
const SeqRow = z.object({ seq: Int, bytes: Bytes });
const EnvelopeRefRow = z.object({ author: Bytes, clock: Int, seq: Int });
const MemberRow = z.object({ sign_pk: Bytes, box_pk: Bytes, proof: Bytes, invite_id: Bytes });
const CountRow = z.object({ n: Int });
const ClockRow = z.object({ clock: Int.nullable() });
const HeadRow = z.object({ head_seq: Int });

/** better-sqlite3 binds Buffers as BLOBs; wrap without copying. */
function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Open (creating if needed) `dataDir/hearth.sqlite` with durable commits: an ack means the row survives a crash. */
export function openSqliteStorage(dataDir: string): RelayStorage {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'hearth.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
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
      this.db.transaction((): CreateRoomOutcome => {
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
    return this.guard(this.db.transaction(() => items.map((item) => this.appendOne(item, now))));
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
      this.db.transaction((): PutInviteOutcome => {
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
      this.db.transaction((): ClaimOutcome => {
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
    const verdict = judgeAppend(item, existing, lastClock);
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

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { StorageError } from '../storage/StorageError';
import type {
  AppendChunkOutcome,
  BlobState,
  BlobStorage,
  ChunkPut,
  NewSnapshot,
  StoredSnapshot,
} from './BlobStorage';
import { concatChunks } from './concatChunks';
import { unusedSnapshots } from './unusedSnapshots';
import { writeTransaction } from '../storage/sqliteWriteTransaction';

/** Bump with a migration step below; a database newer than the code is refused rather than guessed at. */
const BLOB_SCHEMA_VERSION = 2;

// Blobs live in their own file beside hearth.sqlite: megabytes of attachment chunks then never share a write lock
// or a WAL with the envelope group commit, and the file can be backed up on its own schedule.
const V1 = `
CREATE TABLE blobs (
  room BLOB NOT NULL,
  hash BLOB NOT NULL,
  size INTEGER NOT NULL,
  received INTEGER NOT NULL DEFAULT 0,
  complete INTEGER NOT NULL DEFAULT 0,
  created_by BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (room, hash)
);
CREATE TABLE blob_chunks (
  room BLOB NOT NULL,
  blob_hash BLOB NOT NULL,
  chunk_offset INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (room, blob_hash, chunk_offset)
);
CREATE TABLE room_snapshots (
  room BLOB PRIMARY KEY,
  up_to_seq INTEGER NOT NULL,
  hash BLOB NOT NULL,
  created_by BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
`;

// A snapshot blob no snapshot points to any more is retired, then deleted once a grace period has passed (a device
// may be part-way through downloading it); without this, every snapshot ever published stayed stored.
const V2 = `
ALTER TABLE blobs ADD COLUMN retired_at INTEGER;
CREATE INDEX blobs_retired ON blobs (retired_at) WHERE retired_at IS NOT NULL;
`;

// Rows are parsed once where they leave SQL (STYLE.md rule 4); better-sqlite3 returns BLOBs as Buffers.
const Bytes = z.instanceof(Uint8Array);
const Int = z.number().int();
const BlobRow = z.object({ size: Int, received: Int, complete: Int });
const ChunkRow = z.object({ chunk_offset: Int, bytes: Bytes });
const SnapshotRow = z.object({ up_to_seq: Int, hash: Bytes, size: Int });
const NamedRow = z.object({ hash: Bytes, created_by: Bytes });
const BlobKeyRow = z.object({ room: Bytes, hash: Bytes });
const VersionRow = z.object({ version: Int.nullable() });

function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Open (creating if needed) `dataDir/hearth-blobs.sqlite` with durable commits, like the envelope store. */
export function openSqliteBlobStorage(dataDir: string): BlobStorage {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'hearth-blobs.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return new SqliteBlobStorage(db);
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const current = VersionRow.parse(
    db.prepare('SELECT MAX(version) AS version FROM schema_version').get(),
  ).version;
  if ((current ?? 0) > BLOB_SCHEMA_VERSION) {
    throw new Error(`blob database schema ${current} is newer than this relay (${BLOB_SCHEMA_VERSION})`);
  }
  const steps = [V1, V2];
  db.transaction(() => {
    for (let version = (current ?? 0) + 1; version <= BLOB_SCHEMA_VERSION; version++) {
      db.exec(steps[version - 1]);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version);
    }
  })();
}

class SqliteBlobStorage implements BlobStorage {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      blob: db.prepare('SELECT size, received, complete FROM blobs WHERE room = ? AND hash = ?'),
      insertBlob: db.prepare(
        `INSERT INTO blobs (room, hash, size, received, complete, created_by, created_at)
         VALUES (?, ?, ?, 0, 0, ?, ?)`,
      ),
      insertChunk: db.prepare(
        'INSERT INTO blob_chunks (room, blob_hash, chunk_offset, bytes) VALUES (?, ?, ?, ?)',
      ),
      setReceived: db.prepare('UPDATE blobs SET received = ? WHERE room = ? AND hash = ?'),
      // The chunk holding `offset` and every later one that starts before offset + maxBytes.
      range: db.prepare(
        `SELECT chunk_offset, bytes FROM blob_chunks
         WHERE room = ? AND blob_hash = ? AND chunk_offset < ? AND chunk_offset >= COALESCE(
           (SELECT MAX(chunk_offset) FROM blob_chunks WHERE room = ? AND blob_hash = ? AND chunk_offset <= ?), 0)
         ORDER BY chunk_offset`,
      ),
      markComplete: db.prepare('UPDATE blobs SET complete = 1 WHERE room = ? AND hash = ?'),
      deleteBlob: db.prepare('DELETE FROM blobs WHERE room = ? AND hash = ? AND complete = 0'),
      deleteChunks: db.prepare('DELETE FROM blob_chunks WHERE room = ? AND blob_hash = ?'),
      putSnapshot: db.prepare(
        `INSERT INTO room_snapshots (room, up_to_seq, hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (room) DO UPDATE SET up_to_seq = excluded.up_to_seq, hash = excluded.hash,
           created_by = excluded.created_by, created_at = excluded.created_at
         WHERE excluded.up_to_seq > room_snapshots.up_to_seq`,
      ),
      named: db.prepare('SELECT hash, created_by FROM room_snapshots WHERE room = ?'),
      retire: db.prepare(
        `UPDATE blobs SET retired_at = ?
         WHERE room = ? AND hash = ? AND created_by = ? AND complete = 1 AND retired_at IS NULL`,
      ),
      unretire: db.prepare('UPDATE blobs SET retired_at = NULL WHERE room = ? AND hash = ?'),
      retiredBefore: db.prepare(
        `SELECT room, hash FROM blobs b WHERE retired_at IS NOT NULL AND retired_at <= ?
           AND NOT EXISTS (SELECT 1 FROM room_snapshots s WHERE s.room = b.room AND s.hash = b.hash)
         LIMIT ?`,
      ),
      deleteRetired: db.prepare('DELETE FROM blobs WHERE room = ? AND hash = ?'),
      latestSnapshot: db.prepare(
        `SELECT s.up_to_seq, s.hash, b.size FROM room_snapshots s
         JOIN blobs b ON b.room = s.room AND b.hash = s.hash WHERE s.room = ?`,
      ),
    };
  }

  status(room: Uint8Array, hash: Uint8Array): Promise<BlobState | undefined> {
    return this.guard(() => this.stateSync(room, hash));
  }

  appendChunk(put: ChunkPut, now: number): Promise<AppendChunkOutcome> {
    return this.guard(
      writeTransaction(this.db, (): AppendChunkOutcome => {
        const room = blob(put.room);
        const hash = blob(put.hash);
        let state = this.stateSync(put.room, put.hash);
        if (state?.complete) return { kind: 'complete', size: state.size };
        if (state && state.size !== put.size) return { kind: 'size_mismatch', size: state.size };
        if (put.offset !== (state?.received ?? 0)) {
          return { kind: 'offset_mismatch', expected: state?.received ?? 0 };
        }
        if (!state) {
          this.s.insertBlob.run(room, hash, put.size, blob(put.device), now);
          state = { size: put.size, received: 0, complete: false };
        }
        const received = state.received + put.chunk.length;
        this.s.insertChunk.run(room, hash, put.offset, blob(put.chunk));
        this.s.setReceived.run(received, room, hash);
        return { kind: 'appended', received, size: state.size };
      }),
    );
  }

  readRange(room: Uint8Array, hash: Uint8Array, offset: number, maxBytes: number): Promise<Uint8Array> {
    return this.guard(() => {
      const r = blob(room);
      const h = blob(hash);
      const rows = this.s.range.all(r, h, offset + maxBytes, r, h, offset).map((raw) => {
        const row = ChunkRow.parse(raw);
        return { offset: row.chunk_offset, bytes: row.bytes };
      });
      return concatChunks(rows, offset, maxBytes);
    });
  }

  markComplete(room: Uint8Array, hash: Uint8Array): Promise<void> {
    return this.guard(() => {
      this.s.markComplete.run(blob(room), blob(hash));
    });
  }

  discard(room: Uint8Array, hash: Uint8Array): Promise<void> {
    return this.guard(
      writeTransaction(this.db, () => {
        if (this.s.deleteBlob.run(blob(room), blob(hash)).changes === 1) {
          this.s.deleteChunks.run(blob(room), blob(hash));
        }
      }),
    );
  }

  putSnapshot(snapshot: NewSnapshot, now: number): Promise<StoredSnapshot> {
    return this.guard(
      writeTransaction(this.db, (): StoredSnapshot => {
        const room = blob(snapshot.room);
        const previousRaw = this.s.named.get(room);
        const previous = previousRaw ? NamedRow.parse(previousRaw) : undefined;
        this.s.putSnapshot.run(room, snapshot.upToSeq, blob(snapshot.hash), blob(snapshot.createdBy), now);
        const kept = this.latestSync(snapshot.room);
        if (!kept) throw new Error('snapshot row missing right after it was stored');
        for (const unused of unusedSnapshots(previous, snapshot, kept.hash)) {
          this.s.retire.run(now, room, blob(unused.hash), blob(unused.createdBy));
        }
        this.s.unretire.run(room, blob(kept.hash));
        return kept;
      }),
    );
  }

  sweepRetiredSnapshots(retiredBefore: number, limit: number): Promise<number> {
    return this.guard(
      writeTransaction(this.db, (): number => {
        const retired = this.s.retiredBefore.all(retiredBefore, limit).map((raw) => BlobKeyRow.parse(raw));
        for (const { room, hash } of retired) {
          this.s.deleteChunks.run(room, hash);
          this.s.deleteRetired.run(room, hash);
        }
        return retired.length;
      }),
    );
  }

  latestSnapshot(room: Uint8Array): Promise<StoredSnapshot | undefined> {
    return this.guard(() => this.latestSync(room));
  }

  close(): Promise<void> {
    return this.guard(() => {
      this.db.close();
    });
  }

  private stateSync(room: Uint8Array, hash: Uint8Array): BlobState | undefined {
    const raw = this.s.blob.get(blob(room), blob(hash));
    if (!raw) return undefined;
    const row = BlobRow.parse(raw);
    return { size: row.size, received: row.received, complete: row.complete === 1 };
  }

  private latestSync(room: Uint8Array): StoredSnapshot | undefined {
    const raw = this.s.latestSnapshot.get(blob(room));
    if (!raw) return undefined;
    const row = SnapshotRow.parse(raw);
    return { upToSeq: row.up_to_seq, hash: row.hash, size: row.size };
  }

  /** Run synchronous SQLite work as the interface's Promise; any database failure becomes a StorageError. */
  private guard<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(new StorageError(error));
    }
  }
}

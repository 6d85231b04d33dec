import pg from 'pg';
import { z } from 'zod';
import type { Logger } from '../log';
import { guardStorage, inTransaction } from '../storage/pgTransaction';
import { bytea, pgTypes } from '../storage/pgTypes';
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

// The same tables as blobs/sqlite.ts, with bytea for bytes and bigint for sizes, seqs and times. Blob migrations
// are numbered on their own (blob_schema_migrations), so the envelope schema and this one never collide.
const MIGRATIONS = [
  {
    version: 1,
    sql: `
CREATE TABLE blobs (
  room bytea NOT NULL,
  hash bytea NOT NULL,
  size bigint NOT NULL,
  received bigint NOT NULL DEFAULT 0,
  complete boolean NOT NULL DEFAULT false,
  created_by bytea NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (room, hash)
);
CREATE TABLE blob_chunks (
  room bytea NOT NULL,
  blob_hash bytea NOT NULL,
  chunk_offset bigint NOT NULL,
  bytes bytea NOT NULL,
  PRIMARY KEY (room, blob_hash, chunk_offset)
);
CREATE TABLE room_snapshots (
  room bytea PRIMARY KEY,
  up_to_seq bigint NOT NULL,
  hash bytea NOT NULL,
  created_by bytea NOT NULL,
  created_at bigint NOT NULL
);
`,
  },
  {
    // Replaced snapshot blobs are retired, then deleted after a grace period (see blobs/sqlite.ts).
    version: 2,
    sql: `
ALTER TABLE blobs ADD COLUMN retired_at bigint;
CREATE INDEX blobs_retired ON blobs (retired_at) WHERE retired_at IS NOT NULL;
`,
  },
] as const;

/** The first key of the per-room lock around PUT_SNAPSHOT (its second is the room's first 4 bytes). */
const SNAPSHOT_LOCK_CLASS = 0x536e_6170; // "Snap"

/** Any constant all relays share; distinct from the envelope schema's lock so the two migrate independently. */
const BLOB_MIGRATION_LOCK_KEY = 0x426c_6f62; // "Blob"

const Bytes = z.instanceof(Uint8Array);
const Int = z.number().int();
const BlobRow = z.object({ size: Int, received: Int, complete: z.boolean() });
const ChunkRow = z.object({ chunk_offset: Int, bytes: Bytes });
const SnapshotRow = z.object({ up_to_seq: Int, hash: Bytes, size: Int });
const NamedRow = z.object({ hash: Bytes, created_by: Bytes });
const BlobKeyRow = z.object({ room: Bytes, hash: Bytes });

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Blob storage in PostgreSQL at `url` (its own small pool), migrated before it resolves. Same semantics as the
 * SQLite implementation; every relay process sharing the database sees the same blobs and snapshots.
 */
export async function openPostgresBlobStorage(url: string, log: Logger): Promise<BlobStorage> {
  const pool = new pg.Pool({ connectionString: url, types: pgTypes, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on('error', (error) => log.warn({ err: error }, 'idle postgres blob connection failed'));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresBlobStorage(pool);
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    for (const migration of MIGRATIONS) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [BLOB_MIGRATION_LOCK_KEY]);
        await client.query(
          'CREATE TABLE IF NOT EXISTS blob_schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)',
        );
        const newest = await client.query<{ version: number | null }>(
          'SELECT MAX(version) AS version FROM blob_schema_migrations',
        );
        const current = newest.rows[0]?.version ?? 0;
        const known = MIGRATIONS[MIGRATIONS.length - 1].version;
        if (current > known) throw new Error(`blob schema ${current} is newer than this relay (${known})`);
        if (current < migration.version) {
          await client.query(migration.sql);
          await client.query('INSERT INTO blob_schema_migrations (version, applied_at) VALUES ($1, $2)', [
            migration.version,
            Date.now(),
          ]);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          // the migration's own error is the one worth reporting
        });
        throw error;
      }
    }
  } finally {
    client.release();
  }
}

class PostgresBlobStorage implements BlobStorage {
  constructor(private readonly pool: pg.Pool) {}

  status(room: Uint8Array, hash: Uint8Array): Promise<BlobState | undefined> {
    return guardStorage(() => stateIn(this.pool, room, hash, false));
  }

  appendChunk(put: ChunkPut, now: number): Promise<AppendChunkOutcome> {
    return inTransaction(this.pool, async (client): Promise<AppendChunkOutcome> => {
      // The row lock serialises uploads of one blob across sockets and relays: the offset rule is checked against
      // the committed `received`.
      let state = await stateIn(client, put.room, put.hash, true);
      if (!state && put.offset === 0) {
        await client.query(
          `INSERT INTO blobs (room, hash, size, received, complete, created_by, created_at)
           VALUES ($1, $2, $3, 0, false, $4, $5) ON CONFLICT DO NOTHING`,
          [bytea(put.room), bytea(put.hash), put.size, bytea(put.device), now],
        );
        state = await stateIn(client, put.room, put.hash, true);
      }
      if (state?.complete) return { kind: 'complete', size: state.size };
      if (state && state.size !== put.size) return { kind: 'size_mismatch', size: state.size };
      if (!state || put.offset !== state.received) {
        return { kind: 'offset_mismatch', expected: state?.received ?? 0 };
      }
      const received = state.received + put.chunk.length;
      await client.query(
        'INSERT INTO blob_chunks (room, blob_hash, chunk_offset, bytes) VALUES ($1, $2, $3, $4)',
        [bytea(put.room), bytea(put.hash), put.offset, bytea(put.chunk)],
      );
      await client.query('UPDATE blobs SET received = $1 WHERE room = $2 AND hash = $3', [
        received,
        bytea(put.room),
        bytea(put.hash),
      ]);
      return { kind: 'appended', received, size: state.size };
    });
  }

  readRange(room: Uint8Array, hash: Uint8Array, offset: number, maxBytes: number): Promise<Uint8Array> {
    return guardStorage(async () => {
      const result = await this.pool.query(
        `SELECT chunk_offset, bytes FROM blob_chunks
         WHERE room = $1 AND blob_hash = $2 AND chunk_offset < $4 AND chunk_offset >= COALESCE(
           (SELECT MAX(chunk_offset) FROM blob_chunks WHERE room = $1 AND blob_hash = $2 AND chunk_offset <= $3), 0)
         ORDER BY chunk_offset`,
        [bytea(room), bytea(hash), offset, offset + maxBytes],
      );
      const chunks = result.rows.map((raw) => {
        const row = ChunkRow.parse(raw);
        return { offset: row.chunk_offset, bytes: row.bytes };
      });
      return concatChunks(chunks, offset, maxBytes);
    });
  }

  markComplete(room: Uint8Array, hash: Uint8Array): Promise<void> {
    return guardStorage(async () => {
      await this.pool.query('UPDATE blobs SET complete = true WHERE room = $1 AND hash = $2', [
        bytea(room),
        bytea(hash),
      ]);
    });
  }

  discard(room: Uint8Array, hash: Uint8Array): Promise<void> {
    return inTransaction(this.pool, async (client) => {
      const deleted = await client.query('DELETE FROM blobs WHERE room = $1 AND hash = $2 AND NOT complete', [
        bytea(room),
        bytea(hash),
      ]);
      if (deleted.rowCount === 1) {
        await client.query('DELETE FROM blob_chunks WHERE room = $1 AND blob_hash = $2', [
          bytea(room),
          bytea(hash),
        ]);
      }
    });
  }

  putSnapshot(snapshot: NewSnapshot, now: number): Promise<StoredSnapshot> {
    return inTransaction(this.pool, async (client): Promise<StoredSnapshot> => {
      // Two PUT_SNAPSHOTs of one room (across relays) run one after the other, so each reads what the other left and
      // retires what it replaced. A row lock would not do for a room's first snapshot: there is no row to lock yet.
      const room = snapshot.room;
      const roomKey = new DataView(room.buffer, room.byteOffset, room.byteLength).getInt32(0);
      await client.query('SELECT pg_advisory_xact_lock($1::int, $2::int)', [SNAPSHOT_LOCK_CLASS, roomKey]);
      const named = await client.query('SELECT hash, created_by FROM room_snapshots WHERE room = $1', [
        bytea(snapshot.room),
      ]);
      const previous = named.rows.length > 0 ? NamedRow.parse(named.rows[0]) : undefined;
      await client.query(
        `INSERT INTO room_snapshots (room, up_to_seq, hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room) DO UPDATE SET up_to_seq = excluded.up_to_seq, hash = excluded.hash,
           created_by = excluded.created_by, created_at = excluded.created_at
         WHERE room_snapshots.up_to_seq < excluded.up_to_seq`,
        [bytea(snapshot.room), snapshot.upToSeq, bytea(snapshot.hash), bytea(snapshot.createdBy), now],
      );
      const kept = await latestIn(client, snapshot.room);
      if (!kept) throw new Error('snapshot row missing right after it was stored');
      for (const unused of unusedSnapshots(previous, snapshot, kept.hash)) {
        await client.query(
          `UPDATE blobs SET retired_at = $1
           WHERE room = $2 AND hash = $3 AND created_by = $4 AND complete AND retired_at IS NULL`,
          [now, bytea(snapshot.room), bytea(unused.hash), bytea(unused.createdBy)],
        );
      }
      await client.query('UPDATE blobs SET retired_at = NULL WHERE room = $1 AND hash = $2', [
        bytea(snapshot.room),
        bytea(kept.hash),
      ]);
      return kept;
    });
  }

  sweepRetiredSnapshots(retiredBefore: number, limit: number): Promise<number> {
    return inTransaction(this.pool, async (client): Promise<number> => {
      // SKIP LOCKED: relays sweeping at once each take different blobs.
      const deleted = await client.query(
        `DELETE FROM blobs WHERE (room, hash) IN (
           SELECT room, hash FROM blobs b WHERE retired_at IS NOT NULL AND retired_at <= $1
             AND NOT EXISTS (SELECT 1 FROM room_snapshots s WHERE s.room = b.room AND s.hash = b.hash)
           LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING room, hash`,
        [retiredBefore, limit],
      );
      for (const raw of deleted.rows) {
        const { room, hash } = BlobKeyRow.parse(raw);
        await client.query('DELETE FROM blob_chunks WHERE room = $1 AND blob_hash = $2', [
          bytea(room),
          bytea(hash),
        ]);
      }
      return deleted.rows.length;
    });
  }

  latestSnapshot(room: Uint8Array): Promise<StoredSnapshot | undefined> {
    return guardStorage(() => latestIn(this.pool, room));
  }

  close(): Promise<void> {
    return guardStorage(() => this.pool.end());
  }
}

async function stateIn(
  db: Queryable,
  room: Uint8Array,
  hash: Uint8Array,
  forUpdate: boolean,
): Promise<BlobState | undefined> {
  const result = await db.query(
    `SELECT size, received, complete FROM blobs WHERE room = $1 AND hash = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [bytea(room), bytea(hash)],
  );
  if (result.rows.length === 0) return undefined;
  return BlobRow.parse(result.rows[0]);
}

async function latestIn(db: Queryable, room: Uint8Array): Promise<StoredSnapshot | undefined> {
  const result = await db.query(
    `SELECT s.up_to_seq, s.hash, b.size FROM room_snapshots s
     JOIN blobs b ON b.room = s.room AND b.hash = s.hash WHERE s.room = $1`,
    [bytea(room)],
  );
  if (result.rows.length === 0) return undefined;
  const row = SnapshotRow.parse(result.rows[0]);
  return { upToSeq: row.up_to_seq, hash: row.hash, size: row.size };
}

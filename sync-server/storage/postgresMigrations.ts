import type { Pool, PoolClient } from 'pg';

/** One schema step. Versions only grow; a released step is never edited, a new one is added. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// The same tables as sqliteSchema.ts, with bytea for byte columns and bigint for numbers (ms times, seqs, clocks).
// `members.joined` keeps the join order that SQLite keeps through rowid.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE devices (
  sign_pk bytea PRIMARY KEY,
  box_pk bytea NOT NULL,
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL
);
CREATE TABLE rooms (
  room bytea PRIMARY KEY,
  head_seq bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL
);
CREATE TABLE members (
  room bytea NOT NULL REFERENCES rooms(room),
  sign_pk bytea NOT NULL,
  box_pk bytea NOT NULL,
  proof bytea NOT NULL,
  invite_id bytea NOT NULL,
  added_at bigint NOT NULL,
  joined bigint GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (room, sign_pk)
);
CREATE INDEX members_by_join ON members (room, joined);
CREATE INDEX members_by_device ON members (sign_pk);
CREATE TABLE envelopes (
  room bytea NOT NULL REFERENCES rooms(room),
  seq bigint NOT NULL,
  id bytea NOT NULL,
  author bytea NOT NULL,
  clock bigint NOT NULL,
  bytes bytea NOT NULL,
  received_at bigint NOT NULL,
  PRIMARY KEY (room, seq),
  UNIQUE (room, id),
  UNIQUE (room, author, clock)
);
CREATE TABLE invites (
  invite_id bytea PRIMARY KEY,
  room bytea NOT NULL REFERENCES rooms(room),
  claim_pk bytea NOT NULL,
  expires_at bigint NOT NULL,
  box bytea NOT NULL,
  created_by bytea NOT NULL,
  created_at bigint NOT NULL,
  used_by bytea,
  used_at bigint
);
`,
  },
  {
    version: 2,
    name: 'web push',
    // vapid_keys holds one row (id = 1), inserted ON CONFLICT DO NOTHING: relays starting together keep one pair.
    sql: `
CREATE TABLE push_subscriptions (
  endpoint text PRIMARY KEY,
  device bytea NOT NULL,
  p256dh bytea NOT NULL,
  auth bytea NOT NULL,
  registered_at bigint NOT NULL,
  registered bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX push_subscriptions_by_device ON push_subscriptions (device);
CREATE TABLE vapid_keys (
  id smallint PRIMARY KEY CHECK (id = 1),
  public_key text NOT NULL,
  private_key text NOT NULL,
  created_at bigint NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'linked devices',
    // A device row gains the identity it acts for (NULL: its key is the identity), the identity's certificate and
    // its revocation; sealed grants wait in link_grants for the new device to fetch them.
    sql: `
ALTER TABLE devices
  ADD COLUMN identity_pk bytea,
  ADD COLUMN certificate bytea,
  ADD COLUMN created_at bigint,
  ADD COLUMN revoked_at bigint,
  ADD COLUMN revocation bytea;
CREATE INDEX devices_by_identity ON devices (identity_pk);
CREATE TABLE link_grants (
  link_id bytea PRIMARY KEY,
  device_pk bytea NOT NULL,
  grant_box bytea NOT NULL,
  expires_at bigint NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'conversations',
    // A room gains its manager and key epoch (NULL and 0 for a room from before, which has no log), its signed
    // membership log (each entry with the room's head seq when accepted), and one key bundle per epoch.
    sql: `
ALTER TABLE rooms
  ADD COLUMN manager bytea,
  ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
CREATE TABLE membership_log (
  room bytea NOT NULL REFERENCES rooms(room),
  idx bigint NOT NULL,
  entry bytea NOT NULL,
  after_seq bigint NOT NULL,
  accepted_at bigint NOT NULL,
  PRIMARY KEY (room, idx)
);
CREATE TABLE key_bundles (
  room bytea NOT NULL REFERENCES rooms(room),
  epoch bigint NOT NULL,
  signer bytea NOT NULL,
  bundle bytea NOT NULL,
  stored_at bigint NOT NULL,
  PRIMARY KEY (room, epoch)
);
`,
  },
];

/** Any constant works as long as every relay uses the same one: it names "Hearth is migrating" to PostgreSQL. */
const MIGRATION_LOCK_KEY = 0x4865_6172; // "Hear"

/**
 * Bring the database up to the newest migration. Each step runs in its own transaction that first takes a
 * transaction-level advisory lock, so relays starting together apply each step exactly once: the second waits,
 * then sees the step recorded. A database newer than this code is refused rather than guessed at.
 */
export async function migratePostgres(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    for (const migration of MIGRATIONS) await applyOnce(client, migration);
  } finally {
    client.release();
  }
}

async function applyOnce(client: PoolClient, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const newest = await client.query<{ version: number | null }>(
      'SELECT MAX(version) AS version FROM schema_migrations',
    );
    const current = newest.rows[0]?.version ?? 0;
    const known = MIGRATIONS[MIGRATIONS.length - 1].version;
    if (current > known) {
      throw new Error(`database schema ${current} is newer than this relay (${known})`);
    }
    if (current < migration.version) {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      // The original error is what matters; a failed rollback ends with the connection anyway.
    });
    throw error;
  }
}

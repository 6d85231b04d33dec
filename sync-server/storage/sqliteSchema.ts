import type { Database } from 'better-sqlite3';

/** Bump with a migration step below; a database newer than the code is refused rather than guessed at. */
export const SCHEMA_VERSION = 4;

const V1 = `
CREATE TABLE devices (
  sign_pk BLOB PRIMARY KEY,
  box_pk BLOB NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE TABLE rooms (
  room BLOB PRIMARY KEY,
  head_seq INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE members (
  room BLOB NOT NULL REFERENCES rooms(room),
  sign_pk BLOB NOT NULL,
  box_pk BLOB NOT NULL,
  proof BLOB NOT NULL,
  invite_id BLOB NOT NULL,
  added_at INTEGER NOT NULL,
  UNIQUE (room, sign_pk)
);
CREATE TABLE envelopes (
  room BLOB NOT NULL REFERENCES rooms(room),
  seq INTEGER NOT NULL,
  id BLOB NOT NULL,
  author BLOB NOT NULL,
  clock INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (room, seq),
  UNIQUE (room, id),
  UNIQUE (room, author, clock)
);
CREATE TABLE invites (
  invite_id BLOB PRIMARY KEY,
  room BLOB NOT NULL REFERENCES rooms(room),
  claim_pk BLOB NOT NULL,
  expires_at INTEGER NOT NULL,
  box BLOB NOT NULL,
  created_by BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  used_by BLOB,
  used_at INTEGER
);
`;

// Web Push subscriptions, one row per endpoint (an endpoint belongs to one browser, hence to one device).
const V2 = `
CREATE TABLE push_subscriptions (
  endpoint TEXT PRIMARY KEY,
  device BLOB NOT NULL,
  p256dh BLOB NOT NULL,
  auth BLOB NOT NULL,
  registered_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_device ON push_subscriptions (device);
`;

// Linked devices: a device row gains the identity it acts for (NULL: its key is the identity), the identity's
// certificate, and its revocation. Sealed grants wait in link_grants for the new device to fetch them.
const V3 = `
ALTER TABLE devices ADD COLUMN identity_pk BLOB;
ALTER TABLE devices ADD COLUMN certificate BLOB;
ALTER TABLE devices ADD COLUMN created_at INTEGER;
ALTER TABLE devices ADD COLUMN revoked_at INTEGER;
ALTER TABLE devices ADD COLUMN revocation BLOB;
CREATE INDEX devices_by_identity ON devices (identity_pk);
CREATE TABLE link_grants (
  link_id BLOB PRIMARY KEY,
  device_pk BLOB NOT NULL,
  grant_box BLOB NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

// Conversations: a room gains its manager and key epoch (NULL and 0 for a room from before, which has no log),
// its signed membership log (each entry with the room's head seq when accepted), and one key bundle per epoch.
const V4 = `
ALTER TABLE rooms ADD COLUMN manager BLOB;
ALTER TABLE rooms ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
CREATE TABLE membership_log (
  room BLOB NOT NULL REFERENCES rooms(room),
  idx INTEGER NOT NULL,
  entry BLOB NOT NULL,
  after_seq INTEGER NOT NULL,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (room, idx)
);
CREATE TABLE key_bundles (
  room BLOB NOT NULL REFERENCES rooms(room),
  epoch INTEGER NOT NULL,
  signer BLOB NOT NULL,
  bundle BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  PRIMARY KEY (room, epoch)
);
`;

/** Applied in order, each in its own transaction with its version row, so a database at any step moves on. */
const STEPS: ReadonlyArray<{ version: number; sql: string }> = [
  { version: 1, sql: V1 },
  { version: 2, sql: V2 },
  { version: 3, sql: V3 },
  { version: 4, sql: V4 },
];

/** Create the schema on a fresh database, or check that an existing one is a version this code knows. */
export function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as {
    version: number | null;
  };
  const current = row.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema ${current} is newer than this relay (${SCHEMA_VERSION})`);
  }
  for (const step of STEPS) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.exec(step.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(step.version);
    })();
  }
  // An index, not a schema change (no version bump): counting a device's rooms for MAX_ROOMS_PER_DEVICE must not
  // scan every membership.
  db.exec('CREATE INDEX IF NOT EXISTS members_by_device ON members (sign_pk)');
}

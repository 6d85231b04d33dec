import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../sync-server/storage/postgresMigrations';
import { LogWriter } from '../helpers/membershipEntries';
import {
  makeDevice,
  makeEnvelope,
  randomBytesOf,
  RelayClient,
  seqsOf,
  type TestDevice,
} from '../helpers/relayClient';
import { makeDataDir, startRelay, type RunningRelay } from '../helpers/relayProcess';
import { SCALE_OUT_SKIP_REASON } from '../helpers/relayBackends';
import { createTestDatabase, type TestDatabase } from '../helpers/scaleOutServices';

// A relay database from before conversations (schema 3): its rooms have no membership log. After the upgrade they
// keep working as they did, and their creator can start a log and write the invited member into it.

const relays: RunningRelay[] = [];
const databases: TestDatabase[] = [];

afterEach(async () => {
  for (const relay of relays.splice(0)) {
    await relay.stop();
    relay.removeData();
  }
  for (const database of databases.splice(0)) await database.drop();
});

/** The rows of a room its creator made and a guest joined by invite, with one envelope of the guest's. */
function legacyRoom() {
  const creator = makeDevice();
  const guest = makeDevice();
  const room = randomBytesOf(16);
  const envelope = makeEnvelope({ author: guest, room, clock: 1 });
  return { creator, guest, room, envelope, inviteId: randomBytesOf(32), proof: randomBytesOf(64) };
}

type Legacy = ReturnType<typeof legacyRoom>;

/** What every backend must show after the upgrade. */
async function stillWorks(relay: RunningRelay, legacy: Legacy): Promise<void> {
  const { creator, guest, room } = legacy;
  const owner = await RelayClient.connectAs(relay.wsUrl, creator);
  const before = await owner.subscribe(room);
  expect(before.members.members).toHaveLength(2);
  expect(before.log).toBeNull();
  expect(seqsOf(before.delivers)).toEqual([1]);

  const visitor = await RelayClient.connectAs(relay.wsUrl, guest);
  expect((await visitor.append(makeEnvelope({ author: guest, room, clock: 2 }).bytes)).seq).toBe(2);

  const log = new LogWriter(room);
  await changeAccepted(owner, log.entry('create', creator, creator));
  await changeAccepted(owner, log.entry('add', creator, guest));
  await visitor.waitFor('roomList');
  expect((await visitor.append(makeEnvelope({ author: guest, room, clock: 3 }).bytes)).seq).toBe(3);
  const after = await visitor.subscribe(room);
  expect(after.log?.entries).toHaveLength(2);
}

async function changeAccepted(client: RelayClient, entry: Uint8Array): Promise<void> {
  client.sendFrame({ type: 'membershipChange', entry });
  for (;;) {
    const frame = await client.next();
    if (frame.type === 'membershipAccepted') return;
    if (frame.type === 'error') throw new Error(`refused: ${frame.code} ${frame.message}`);
  }
}

const key = (device: TestDevice) => Buffer.from(device.publicKey);
const box = (device: TestDevice) => Buffer.from(device.boxPublic);

describe('@relay a relay database from before conversations', () => {
  it('on SQLite, is moved to schema 4 and its rooms keep working', async () => {
    const dataDir = makeDataDir();
    const legacy = legacyRoom();
    const db = new Database(path.join(dataDir, 'hearth.sqlite'));
    db.exec(SQLITE_SCHEMA_3);
    const room = Buffer.from(legacy.room);
    db.prepare('INSERT INTO rooms VALUES (?, 1, 1)').run(room);
    db.prepare(`INSERT INTO members VALUES (?, ?, ?, x'', x'', 1)`).run(
      room,
      key(legacy.creator),
      box(legacy.creator),
    );
    db.prepare('INSERT INTO members VALUES (?, ?, ?, ?, ?, 2)').run(
      room,
      key(legacy.guest),
      box(legacy.guest),
      Buffer.from(legacy.proof),
      Buffer.from(legacy.inviteId),
    );
    db.prepare('INSERT INTO envelopes VALUES (?, 1, ?, ?, 1, ?, 3)').run(
      room,
      Buffer.from(legacy.envelope.id),
      key(legacy.guest),
      Buffer.from(legacy.envelope.bytes),
    );
    db.close();

    const relay = await startRelay({ dataDir });
    relays.push(relay);
    await stillWorks(relay, legacy);
    const after = new Database(path.join(dataDir, 'hearth.sqlite'), { readonly: true });
    try {
      const versions = after.prepare('SELECT version FROM schema_version ORDER BY version').all();
      expect(versions).toEqual([1, 2, 3, 4].map((version) => ({ version })));
    } finally {
      after.close();
    }
  });

  it.skipIf(SCALE_OUT_SKIP_REASON !== null)(
    'on PostgreSQL, is moved to schema 4 and its rooms keep working',
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const legacy = legacyRoom();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(
          'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
        );
        for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            migration.version,
            migration.name,
          ]);
        }
        const room = Buffer.from(legacy.room);
        await client.query('INSERT INTO rooms (room, head_seq, created_at) VALUES ($1, 1, 1)', [room]);
        await client.query(
          `INSERT INTO members (room, sign_pk, box_pk, proof, invite_id, added_at) VALUES
             ($1, $2, $3, ''::bytea, ''::bytea, 1), ($1, $4, $5, $6, $7, 2)`,
          [
            room,
            key(legacy.creator),
            box(legacy.creator),
            key(legacy.guest),
            box(legacy.guest),
            Buffer.from(legacy.proof),
            Buffer.from(legacy.inviteId),
          ],
        );
        await client.query(
          `INSERT INTO envelopes (room, seq, id, author, clock, bytes, received_at) VALUES ($1, 1, $2, $3, 1, $4, 3)`,
          [room, Buffer.from(legacy.envelope.id), key(legacy.guest), Buffer.from(legacy.envelope.bytes)],
        );
      } finally {
        await client.end();
      }

      const relay = await startRelay({ env: { DATABASE_URL: database.url } });
      relays.push(relay);
      await stillWorks(relay, legacy);
      const check = new pg.Client({ connectionString: database.url });
      await check.connect();
      try {
        const versions = await check.query('SELECT version FROM schema_migrations ORDER BY version');
        expect(versions.rows).toEqual([1, 2, 3, 4].map((version) => ({ version })));
      } finally {
        await check.end();
      }
    },
  );
});

// Schema 3 as the relay of that version created it (sqliteSchema.ts steps 1 to 3).
const SQLITE_SCHEMA_3 = `
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1), (2), (3);
CREATE TABLE devices (
  sign_pk BLOB PRIMARY KEY, box_pk BLOB NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  identity_pk BLOB, certificate BLOB, created_at INTEGER, revoked_at INTEGER, revocation BLOB
);
CREATE INDEX devices_by_identity ON devices (identity_pk);
CREATE TABLE rooms (room BLOB PRIMARY KEY, head_seq INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE members (
  room BLOB NOT NULL REFERENCES rooms(room), sign_pk BLOB NOT NULL, box_pk BLOB NOT NULL, proof BLOB NOT NULL,
  invite_id BLOB NOT NULL, added_at INTEGER NOT NULL, UNIQUE (room, sign_pk)
);
CREATE TABLE envelopes (
  room BLOB NOT NULL REFERENCES rooms(room), seq INTEGER NOT NULL, id BLOB NOT NULL, author BLOB NOT NULL,
  clock INTEGER NOT NULL, bytes BLOB NOT NULL, received_at INTEGER NOT NULL,
  PRIMARY KEY (room, seq), UNIQUE (room, id), UNIQUE (room, author, clock)
);
CREATE TABLE invites (
  invite_id BLOB PRIMARY KEY, room BLOB NOT NULL REFERENCES rooms(room), claim_pk BLOB NOT NULL,
  expires_at INTEGER NOT NULL, box BLOB NOT NULL, created_by BLOB NOT NULL, created_at INTEGER NOT NULL,
  used_by BLOB, used_at INTEGER
);
CREATE TABLE push_subscriptions (
  endpoint TEXT PRIMARY KEY, device BLOB NOT NULL, p256dh BLOB NOT NULL, auth BLOB NOT NULL,
  registered_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_device ON push_subscriptions (device);
CREATE TABLE link_grants (
  link_id BLOB PRIMARY KEY, device_pk BLOB NOT NULL, grant_box BLOB NOT NULL, expires_at INTEGER NOT NULL
);
`;

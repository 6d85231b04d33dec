import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual } from '../../src/lib/protocol/hex';
import { LINK_ID_BYTES, MAX_REVOKE_BODY_BYTES } from '../../src/lib/protocol/limits';
import { linkFrame, revocationSignature, revokeFrame } from '../helpers/deviceCerts';
import {
  makeDevice,
  makeEnvelope,
  makeSigner,
  randomBytesOf,
  RelayClient,
  type TestDevice,
} from '../helpers/relayClient';
import { RELAY_BACKENDS, type BackendStorage } from '../helpers/relayBackends';
import { makeDataDir, startRelay, type RunningRelay } from '../helpers/relayProcess';

const CLOSE_DEVICE_REVOKED = 4004;

// Linked devices and revocation, against each storage: the same frames must get the same answers.
for (const backend of RELAY_BACKENDS) {
  describe.skipIf(backend.skipReason !== null)(`@relay devices on ${backend.name}`, () => {
    let storage: BackendStorage;
    let relay: RunningRelay;
    /** A second relay process over the same storage: its sockets hear of a revocation only through storage. */
    let other: RunningRelay;

    beforeAll(async () => {
      storage = await backend.prepare();
      relay = await storage.start();
      other = await storage.start();
    });

    afterAll(async () => {
      await storage?.dispose();
    });

    /** An identity with a room, and a device it linked. */
    async function linkedPair() {
      const identity = makeDevice();
      const phone = await RelayClient.connectAs(relay.wsUrl, identity);
      const room = await phone.createRoom();
      const laptop = makeDevice();
      const link = linkFrame(identity, laptop);
      phone.sendFrame(link);
      const linked = await phone.expect('deviceLinked');
      expect(bytesEqual(linked.signPublic, laptop.publicKey)).toBe(true);
      return { identity, phone, room, laptop, link };
    }

    function revoke(body: unknown, raw?: string): Promise<Response> {
      return fetch(`${relay.url}/devices/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: raw ?? JSON.stringify(body),
      });
    }

    function selfRevocation(device: TestDevice, at = Date.now(), signer = device) {
      return {
        v: 1,
        device: Buffer.from(device.publicKey).toString('base64url'),
        at,
        signature: Buffer.from(revocationSignature(signer, device.publicKey, at)).toString('base64url'),
      };
    }

    async function headSeq(as: TestDevice, room: Uint8Array): Promise<number> {
      const client = await RelayClient.connectAs(relay.wsUrl, as);
      const { caughtUp } = await client.subscribe(room);
      client.close();
      return caughtUp.headSeq;
    }

    it('lets a device with a valid certificate in as its identity: same rooms, its own clock', async () => {
      const { identity, phone, room, laptop } = await linkedPair();
      const { devices } = await phone.subscribe(room);
      expect(devices?.devices.map((d) => Buffer.from(d.signPublic).toString('hex'))).toEqual([
        Buffer.from(laptop.publicKey).toString('hex'),
      ]);
      expect(bytesEqual(devices!.devices[0].identity, identity.publicKey)).toBe(true);

      const client = await RelayClient.connectAs(relay.wsUrl, laptop);
      const { members } = await client.subscribe(room);
      expect(members.members).toHaveLength(1);
      const ack = await client.append(makeEnvelope({ author: laptop, room, clock: 1 }).bytes);
      expect(ack.seq).toBe(1);
      await phone.waitFor('deliver', (d) => d.deliveries[0]?.seq === 1);
      const own = await phone.append(makeEnvelope({ author: identity, room, clock: 1 }).bytes);
      expect(own.seq).toBe(2);

      client.sendFrame({ type: 'listDevices' });
      const list = await client.waitFor('deviceList');
      expect(list.devices.map((d) => d.revokedAt)).toEqual([0, 0]);
      expect(list.devices.every((d) => d.lastSeen > 0)).toBe(true);
      client.close();
      phone.close();
    });

    it('refuses a forged certificate, a link from a linked device, and a key already in use', async () => {
      const identity = makeDevice();
      const phone = await RelayClient.connectAs(relay.wsUrl, identity);
      const room = await phone.createRoom();
      const stranger = makeDevice();
      phone.sendFrame(linkFrame(identity, stranger, { signer: makeSigner() }));
      expect((await phone.expectError()).code).toBe('bad_certificate');

      // Not linked, so the stranger is only itself: the identity's room is not its room.
      const client = await RelayClient.connectAs(relay.wsUrl, stranger);
      client.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
      expect((await client.expectError()).code).toBe('not_a_member');
      client.close();

      const { phone: other, laptop } = await linkedPair();
      const laptopSocket = await RelayClient.connectAs(relay.wsUrl, laptop);
      laptopSocket.sendFrame(linkFrame(laptop, makeDevice()));
      expect((await laptopSocket.expectError()).code).toBe('not_identity');
      // Another identity cannot take over a key that is linked already.
      phone.sendFrame(linkFrame(identity, laptop));
      expect((await phone.expectError()).code).toBe('device_exists');
      laptopSocket.close();
      other.close();
      phone.close();
    });

    it('hands the sealed grant only under its link id, byte for byte', async () => {
      const identity = makeDevice();
      const phone = await RelayClient.connectAs(relay.wsUrl, identity);
      const laptop = makeDevice();
      const waiting = await RelayClient.connectAs(relay.wsUrl, laptop);
      const linkId = randomBytesOf(LINK_ID_BYTES);
      waiting.sendFrame({ type: 'fetchGrant', linkId });
      expect((await waiting.expectError()).code).toBe('grant_not_found');

      const grant = randomBytesOf(4000);
      phone.sendFrame(linkFrame(identity, laptop, { linkId, grant }));
      await phone.expect('deviceLinked');
      waiting.sendFrame({ type: 'fetchGrant', linkId });
      const fetched = await waiting.expect('grant');
      expect(bytesEqual(fetched.grant, grant)).toBe(true);
      waiting.close();
      phone.close();
    });

    it('closes a removed device’s sockets, refuses its auth and appends with device_revoked, and stores nothing', async () => {
      const { identity, phone, room, laptop } = await linkedPair();
      const here = await RelayClient.connectAs(relay.wsUrl, laptop);
      await here.subscribe(room);
      await here.append(makeEnvelope({ author: laptop, room, clock: 1 }).bytes);
      // On the other relay process, not subscribed to anything: nothing tells this socket in advance.
      const there = await RelayClient.connectAs(other.wsUrl, laptop);
      await phone.subscribe(room);

      const at = Date.now();
      phone.sendFrame(revokeFrame(identity, laptop.publicKey, at));
      await phone.waitFor('deviceRevoked');
      const update = await phone.waitFor('devices', (f) => f.devices.some((d) => d.revokedAt === at));
      expect(update.devices[0].lastSeq).toBe(1);
      expect((await here.waitFor('error')).code).toBe('device_revoked');
      expect((await here.closed).code).toBe(CLOSE_DEVICE_REVOKED);

      there.sendFrame({ type: 'append', envelope: makeEnvelope({ author: laptop, room, clock: 2 }).bytes });
      expect((await there.expectError()).code).toBe('device_revoked');
      there.close();

      const again = await RelayClient.connect(relay.wsUrl);
      again.sendFrame(again.authFrame(laptop));
      expect((await again.expectError()).code).toBe('device_revoked');
      expect((await again.closed).code).toBe(CLOSE_DEVICE_REVOKED);
      expect(await headSeq(identity, room)).toBe(1);
      phone.close();
    });

    it('lets a device revoke itself over HTTP, idempotently, and refuses bad signatures and bodies', async () => {
      const identity = makeDevice();
      const phone = await RelayClient.connectAs(relay.wsUrl, identity);
      const room = await phone.createRoom();
      await phone.append(makeEnvelope({ author: identity, room, clock: 1 }).bytes);

      const forged = await revoke(selfRevocation(identity, Date.now(), makeDevice()));
      expect(forged.status).toBe(400);
      expect(await forged.json()).toMatchObject({ error: 'bad_signature' });
      for (const bad of [
        { ...selfRevocation(identity), v: 2 },
        { ...selfRevocation(identity), device: 'not base64url!' },
        { ...selfRevocation(identity), signature: Buffer.alloc(63).toString('base64url') },
        { ...selfRevocation(identity), at: -1 },
      ]) {
        const response = await revoke(bad);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ error: 'malformed_request' });
      }
      const notJson = await revoke(null, '{"v":1,');
      expect(notJson.status).toBe(400);
      const huge = await revoke(null, `{"pad":"${'x'.repeat(MAX_REVOKE_BODY_BYTES)}"}`);
      expect(huge.status).toBe(413);
      // None of that revoked anything: the device still writes.
      await phone.append(makeEnvelope({ author: identity, room, clock: 2 }).bytes);

      const body = selfRevocation(identity);
      const good = await revoke(body);
      expect(good.status).toBe(200);
      expect(await good.json()).toEqual({ revoked: true });
      expect((await phone.waitFor('error')).code).toBe('device_revoked');
      expect((await phone.closed).code).toBe(CLOSE_DEVICE_REVOKED);
      const replay = await revoke(body);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ revoked: true });

      // A first device's key is its identity: once revoked, that identity can no longer write.
      const again = await RelayClient.connect(relay.wsUrl);
      again.sendFrame(again.authFrame(identity));
      expect((await again.expectError()).code).toBe('device_revoked');

      // Revoking a key the relay never saw answers the same, and keeps that key out for good.
      const unknown = makeDevice();
      const unseen = await revoke(selfRevocation(unknown));
      expect(unseen.status).toBe(200);
      const late = await RelayClient.connect(relay.wsUrl);
      late.sendFrame(late.authFrame(unknown));
      expect((await late.expectError()).code).toBe('device_revoked');
    });
  });
}

/** Schema version 1 exactly as released (sqliteSchema.ts V1). */
const SCHEMA_V1 = `
  CREATE TABLE schema_version (version INTEGER NOT NULL);
  CREATE TABLE devices (sign_pk BLOB PRIMARY KEY, box_pk BLOB NOT NULL, first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL);
  CREATE TABLE rooms (room BLOB PRIMARY KEY, head_seq INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
  CREATE TABLE members (room BLOB NOT NULL REFERENCES rooms(room), sign_pk BLOB NOT NULL, box_pk BLOB NOT NULL,
    proof BLOB NOT NULL, invite_id BLOB NOT NULL, added_at INTEGER NOT NULL, UNIQUE (room, sign_pk));
  CREATE TABLE envelopes (room BLOB NOT NULL REFERENCES rooms(room), seq INTEGER NOT NULL, id BLOB NOT NULL,
    author BLOB NOT NULL, clock INTEGER NOT NULL, bytes BLOB NOT NULL, received_at INTEGER NOT NULL,
    PRIMARY KEY (room, seq), UNIQUE (room, id), UNIQUE (room, author, clock));
  CREATE TABLE invites (invite_id BLOB PRIMARY KEY, room BLOB NOT NULL REFERENCES rooms(room),
    claim_pk BLOB NOT NULL, expires_at INTEGER NOT NULL, box BLOB NOT NULL, created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL, used_by BLOB, used_at INTEGER);
  INSERT INTO schema_version (version) VALUES (1);
`;

/** Schema version 2 exactly as released (sqliteSchema.ts V2): Web Push subscriptions. */
const SCHEMA_V2 = `
  CREATE TABLE push_subscriptions (endpoint TEXT PRIMARY KEY, device BLOB NOT NULL, p256dh BLOB NOT NULL,
    auth BLOB NOT NULL, registered_at INTEGER NOT NULL);
  CREATE INDEX push_subscriptions_by_device ON push_subscriptions (device);
  INSERT INTO schema_version (version) VALUES (2);
`;

const PUSH_ENDPOINT = 'https://push.example/wpush/v2/kept-across-the-upgrade';

describe.each([1, 2])(
  '@relay a relay database at schema version %i, from before linked devices',
  (version) => {
    it('is migrated in place: its rooms, members and push subscriptions stay, and its identities can link devices', async () => {
      const dataDir = makeDataDir();
      const identity = makeDevice();
      const room = randomBytesOf(16);
      const file = path.join(dataDir, 'hearth.sqlite');
      const db = new Database(file);
      db.exec(SCHEMA_V1);
      if (version >= 2) db.exec(SCHEMA_V2);
      const key = Buffer.from(identity.publicKey);
      const box = Buffer.from(identity.boxPublic);
      db.prepare('INSERT INTO devices VALUES (?, ?, 1, 1)').run(key, box);
      db.prepare('INSERT INTO rooms VALUES (?, 0, 1)').run(Buffer.from(room));
      db.prepare(`INSERT INTO members VALUES (?, ?, ?, x'', x'', 1)`).run(Buffer.from(room), key, box);
      if (version >= 2) {
        db.prepare('INSERT INTO push_subscriptions VALUES (?, ?, ?, ?, 1)').run(
          PUSH_ENDPOINT,
          key,
          Buffer.alloc(65, 4),
          Buffer.alloc(16, 7),
        );
      }
      db.close();

      const relay = await startRelay({ dataDir });
      try {
        const phone = await RelayClient.connectAs(relay.wsUrl, identity);
        expect((await phone.subscribe(room)).members.members).toHaveLength(1);
        const laptop = makeDevice();
        phone.sendFrame(linkFrame(identity, laptop));
        await phone.waitFor('deviceLinked');
        const client = await RelayClient.connectAs(relay.wsUrl, laptop);
        expect((await client.append(makeEnvelope({ author: laptop, room, clock: 1 }).bytes)).seq).toBe(1);
        client.close();
        phone.close();
      } finally {
        await relay.stop();
      }
      const after = new Database(file, { readonly: true });
      try {
        const versions = after.prepare('SELECT version FROM schema_version ORDER BY version').all();
        expect(versions).toEqual([1, 2, 3, 4].map((v) => ({ version: v })));
        const kept = after.prepare('SELECT endpoint FROM push_subscriptions').all();
        expect(kept).toEqual(version >= 2 ? [{ endpoint: PUSH_ENDPOINT }] : []);
      } finally {
        after.close();
        relay.removeData();
      }
    });
  },
);

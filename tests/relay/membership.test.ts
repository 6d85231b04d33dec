import { describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../../src/lib/protocol/hex';
import { linkFrame } from '../helpers/deviceCerts';
import { keyBundle, LogWriter } from '../helpers/membershipEntries';
import {
  joinThroughInvite,
  makeDevice,
  makeEnvelope,
  makeSigner,
  RelayClient,
  seqsOf,
  type TestDevice,
} from '../helpers/relayClient';
import { RELAY_BACKENDS, relayForSuite } from '../helpers/relayBackends';

// Conversations' access control at the relay, against each storage: the same frames must get the same answers.
for (const backend of RELAY_BACKENDS) {
  describe.skipIf(backend.skipReason !== null)(`@relay membership on ${backend.name}`, () => {
    const suite = relayForSuite(backend);

    /** The next MEMBERSHIP_ACCEPTED or ERROR, skipping what the socket's own subscription hears meanwhile. */
    async function answer(client: RelayClient): Promise<number | string> {
      for (;;) {
        const frame = await client.next();
        if (frame.type === 'membershipAccepted') return frame.index;
        if (frame.type === 'error') return frame.code;
      }
    }

    async function send(client: RelayClient, entry: Uint8Array): Promise<number | string> {
      client.sendFrame({ type: 'membershipChange', entry });
      return answer(client);
    }

    /** A room its manager started (log: create) and subscribes to, with `members` added through the log. */
    async function conversation(members: TestDevice[] = []) {
      const managerDevice = makeDevice();
      const manager = await RelayClient.connectAs(suite.relay.wsUrl, managerDevice);
      const room = await manager.createRoom();
      const log = new LogWriter(room);
      expect(await send(manager, log.entry('create', managerDevice, managerDevice))).toBe(0);
      for (const member of members) {
        expect(await send(manager, log.entry('add', managerDevice, member))).toBe(log.index - 1);
      }
      return { managerDevice, manager, room, log };
    }

    it('lets an added member find the room in ROOM_LIST, read the log, and get the key bundle', async () => {
      const benDevice = makeDevice();
      const ben = await RelayClient.connectAs(suite.relay.wsUrl, benDevice);
      const { managerDevice, manager, room, log } = await conversation();
      ben.sendFrame({ type: 'listRooms' });
      expect((await ben.expect('roomList')).rooms).toEqual([]);

      expect(await send(manager, log.entry('add', managerDevice, benDevice))).toBe(1);
      const listed = await ben.expect('roomList');
      expect(listed.rooms.map(toHex)).toEqual([toHex(room)]);

      manager.sendFrame({
        type: 'putKeyBundle',
        bundle: keyBundle(managerDevice, room, 1, [managerDevice, benDevice]),
      });
      const stored = await manager.waitFor('keyBundleStored');
      expect(stored.epoch).toBe(1);

      const subscribed = await ben.subscribe(room);
      expect(subscribed.members.members.map((m) => toHex(m.signPublic))).toEqual([
        toHex(managerDevice.publicKey),
        toHex(benDevice.publicKey),
      ]);
      expect(subscribed.log?.from).toBe(0);
      expect(subscribed.log?.entries).toHaveLength(2);
      expect(subscribed.keyBundle).not.toBeNull();
      const ack = await ben.append(makeEnvelope({ author: benDevice, room, clock: 1, epoch: 1 }).bytes);
      expect(ack.seq).toBe(1);

      // A later epoch's bundle reaches a subscribed member live, after the log entry that began it.
      const caraDevice = makeDevice();
      expect(await send(manager, log.entry('add', managerDevice, caraDevice))).toBe(2);
      const entry = await ben.waitFor('membershipLog');
      expect(entry.from).toBe(2);
      manager.sendFrame({
        type: 'putKeyBundle',
        bundle: keyBundle(managerDevice, room, 2, [managerDevice, benDevice, caraDevice]),
      });
      await manager.waitFor('keyBundleStored');
      await ben.waitFor('keyBundle');
    });

    it('refuses a forged change with bad_signature and changes nothing', async () => {
      const benDevice = makeDevice();
      const { managerDevice, manager, room, log } = await conversation([benDevice]);
      const mallory = makeSigner();
      expect(
        await send(
          manager,
          log.entry('add', managerDevice, makeDevice(), { signer: mallory, advance: false }),
        ),
      ).toBe('bad_signature');
      expect(
        await send(
          manager,
          log.entry('remove', managerDevice, benDevice, { signer: mallory, advance: false }),
        ),
      ).toBe('bad_signature');
      const ben = await RelayClient.connectAs(suite.relay.wsUrl, benDevice);
      expect((await ben.subscribe(room)).log?.entries).toHaveLength(2);
    });

    it('refuses a replayed change with membership_stale', async () => {
      const benDevice = makeDevice();
      const { managerDevice, manager, room, log } = await conversation();
      const add = log.entry('add', managerDevice, benDevice);
      expect(await send(manager, add)).toBe(1);
      expect(await send(manager, log.entry('remove', managerDevice, benDevice))).toBe(2);
      // Ben, removed, replays the entry that once let him in: refused, and he stays out.
      expect(await send(manager, add)).toBe('membership_stale');
      const ben = await RelayClient.connectAs(suite.relay.wsUrl, benDevice);
      ben.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
      expect((await ben.expectError()).code).toBe('not_a_member');
      const reader = await RelayClient.connectAs(suite.relay.wsUrl, managerDevice);
      expect((await reader.subscribe(room)).log?.entries).toHaveLength(3);
    });

    it('refuses a change by a member who is not the manager with membership_forbidden', async () => {
      const benDevice = makeDevice();
      const { room, log } = await conversation([benDevice]);
      const ben = await RelayClient.connectAs(suite.relay.wsUrl, benDevice);
      const stranger = makeDevice();
      expect(await send(ben, log.entry('add', benDevice, stranger, { advance: false }))).toBe(
        'membership_forbidden',
      );
      expect(await send(ben, log.entry('handover', benDevice, benDevice, { advance: false }))).toBe(
        'membership_forbidden',
      );
      const outsider = await RelayClient.connectAs(suite.relay.wsUrl, stranger);
      expect(await send(outsider, log.entry('leave', stranger, stranger, { advance: false }))).toBe(
        'not_a_member',
      );
      outsider.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
      expect((await outsider.expectError()).code).toBe('not_a_member');
    });

    it('refuses a manager leaving, and a change signed on a linked device', async () => {
      const benDevice = makeDevice();
      const { managerDevice, manager, log } = await conversation([benDevice]);
      expect(await send(manager, log.entry('leave', managerDevice, managerDevice, { advance: false }))).toBe(
        'membership_forbidden',
      );
      const laptop = makeDevice();
      manager.sendFrame(linkFrame(managerDevice, laptop));
      await manager.waitFor('deviceLinked');
      const linked = await RelayClient.connectAs(suite.relay.wsUrl, laptop);
      const byLaptop = log.entry('remove', managerDevice, benDevice, { signer: laptop, advance: false });
      expect(await send(linked, byLaptop)).toBe('bad_signature');
      // Even signed by the identity key, a change coming from a linked device's socket is refused.
      expect(await send(linked, log.entry('remove', managerDevice, benDevice, { advance: false }))).toBe(
        'membership_forbidden',
      );
    });

    it("refuses a removed member's appends with not_a_member, stores nothing, and ends their subscription", async () => {
      const benDevice = makeDevice();
      const { managerDevice, manager, room, log } = await conversation([benDevice]);
      const ben = await RelayClient.connectAs(suite.relay.wsUrl, benDevice);
      await ben.subscribe(room);
      expect((await ben.append(makeEnvelope({ author: benDevice, room, clock: 1 }).bytes)).seq).toBe(1);
      await manager.subscribe(room);

      expect(await send(manager, log.entry('remove', managerDevice, benDevice))).toBe(2);
      // Ben hears why (the log entry of his removal), then that he is out; then that his rooms changed.
      const told = await ben.waitFor('membershipLog');
      expect(told.entries).toHaveLength(1);
      const error = await ben.waitFor('error');
      expect(error.code).toBe('not_a_member');
      expect(bytesEqual(error.ref, room)).toBe(true);
      expect((await ben.waitFor('roomList')).rooms).toEqual([]);

      const late = makeEnvelope({ author: benDevice, room, clock: 2 });
      ben.sendFrame({ type: 'append', envelope: late.bytes });
      const refused = await ben.waitFor('error');
      expect(refused.code).toBe('not_a_member');
      expect(bytesEqual(refused.ref, late.id)).toBe(true);
      manager.sendFrame({ type: 'putKeyBundle', bundle: keyBundle(managerDevice, room, 2, [managerDevice]) });
      await manager.waitFor('keyBundleStored');

      const reader = await RelayClient.connectAs(suite.relay.wsUrl, managerDevice);
      const read = await reader.subscribe(room);
      expect(seqsOf(read.delivers)).toEqual([1]);
      expect(read.caughtUp.headSeq).toBe(1);
      expect(read.members.members).toHaveLength(1);
      expect(ben.pending().some((f) => f.type === 'keyBundle' || f.type === 'deliver')).toBe(false);
    });

    it('keeps the first key bundle of an epoch and refuses later, stale, foreign and logless ones', async () => {
      const benDevice = makeDevice();
      const { managerDevice, manager, room } = await conversation([benDevice]);
      const ben = await RelayClient.connectAs(suite.relay.wsUrl, benDevice);
      ben.sendFrame({
        type: 'putKeyBundle',
        bundle: keyBundle(benDevice, room, 1, [managerDevice, benDevice]),
      });
      expect((await ben.expect('keyBundleStored')).epoch).toBe(1);
      const second = keyBundle(managerDevice, room, 1, [managerDevice, benDevice]);
      manager.sendFrame({ type: 'putKeyBundle', bundle: second });
      expect((await manager.expectError()).code).toBe('key_bundle_conflict');
      manager.sendFrame({ type: 'putKeyBundle', bundle: keyBundle(managerDevice, room, 0, [managerDevice]) });
      expect((await manager.expectError()).code).toBe('epoch_stale');
      manager.sendFrame({ type: 'putKeyBundle', bundle: keyBundle(managerDevice, room, 2, [managerDevice]) });
      expect((await manager.expectError()).code).toBe('key_bundle_invalid');
      const outsider = makeDevice();
      manager.sendFrame({
        type: 'putKeyBundle',
        bundle: keyBundle(managerDevice, room, 1, [managerDevice, outsider]),
      });
      expect((await manager.expectError()).code).toBe('key_bundle_invalid');
      manager.sendFrame({ type: 'putKeyBundle', bundle: keyBundle(benDevice, room, 1, [benDevice]) });
      expect((await manager.expectError()).code).toBe('key_bundle_invalid');

      const plain = await RelayClient.connectAs(suite.relay.wsUrl);
      const logless = await plain.createRoom();
      plain.sendFrame({
        type: 'putKeyBundle',
        bundle: keyBundle(plain.device!, logless, 0, [plain.device!]),
      });
      expect((await plain.expectError()).code).toBe('key_bundle_invalid');
    });

    it('keeps a room from before logs working, and lets only its creator start the log', async () => {
      const creator = await RelayClient.connectAs(suite.relay.wsUrl);
      const room = await creator.createRoom();
      const guestDevice = makeDevice();
      const guest = await joinThroughInvite(suite.relay.wsUrl, creator, room, { device: guestDevice });
      expect((await guest.append(makeEnvelope({ author: guestDevice, room, clock: 1 }).bytes)).seq).toBe(1);

      const log = new LogWriter(room);
      expect(await send(guest, log.entry('create', guestDevice, guestDevice, { advance: false }))).toBe(
        'membership_forbidden',
      );
      expect(await send(creator, log.entry('create', creator.device!, creator.device!))).toBe(0);
      // The claimer is still a member (the creator writes an explicit add for it when it can verify the claim).
      expect((await guest.append(makeEnvelope({ author: guestDevice, room, clock: 2 }).bytes)).seq).toBe(2);
      expect(await send(creator, log.entry('add', creator.device!, guestDevice))).toBe(1);
      expect((await guest.expect('roomList')).rooms.map(toHex)).toEqual([toHex(room)]);
      const subscribed = await guest.subscribe(room);
      expect(subscribed.log?.entries).toHaveLength(2);
      expect(seqsOf(subscribed.delivers)).toEqual([1, 2]);
    });
  });
}

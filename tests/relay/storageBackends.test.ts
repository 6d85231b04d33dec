import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { CATCH_UP_PAGE_ENVELOPES } from '../../src/lib/protocol/limits';
import {
  claimSignature,
  makeDevice,
  makeEnvelope,
  makeSigner,
  randomBytesOf,
  randomInviteId,
  RelayClient,
  seqsOf,
  type Signer,
} from '../helpers/relayClient';
import { RELAY_BACKENDS, relayForSuite } from '../helpers/relayBackends';

// The relay's storage contract, run against each implementation: the same frames must get the same answers.
for (const backend of RELAY_BACKENDS) {
  describe.skipIf(backend.skipReason !== null)(`@relay relay on ${backend.name}`, () => {
    const suite = relayForSuite(backend);

    async function newRoom() {
      const creator = await RelayClient.connectAs(suite.relay.wsUrl);
      const room = await creator.createRoom();
      return { creator, room };
    }

    async function invite(
      creator: RelayClient,
      room: Uint8Array,
    ): Promise<{ inviteId: Uint8Array; key: Signer }> {
      const inviteId = randomInviteId();
      const key = makeSigner();
      const frame = {
        type: 'putInvite',
        room,
        inviteId,
        claimPublic: key.publicKey,
        expiresAt: Date.now() + 60_000,
        box: randomBytesOf(64),
      } as const;
      creator.sendFrame(frame);
      await creator.expect('inviteStored');
      creator.sendFrame(frame); // an identical retry is stored, not a duplicate
      await creator.expect('inviteStored');
      creator.sendFrame({ ...frame, box: randomBytesOf(64) });
      expect((await creator.expectError()).code).toBe('duplicate_id');
      return { inviteId, key };
    }

    it('acks appends with gap-free seqs and delivers them once, in order, to another subscriber', async () => {
      const { creator, room } = await newRoom();
      const reader = await RelayClient.connectAs(suite.relay.wsUrl, creator.device!);
      await reader.subscribe(room);
      const sent = Array.from({ length: 300 }, (_, i) =>
        makeEnvelope({ author: creator.device!, room, clock: i + 1 }),
      );
      for (const envelope of sent) creator.sendFrame({ type: 'append', envelope: envelope.bytes });
      const acks = [];
      for (const envelope of sent) {
        const ack = await creator.expect('ack');
        expect(toHex(ack.id)).toBe(toHex(envelope.id));
        acks.push(ack.seq);
      }
      expect(acks).toEqual(sent.map((_, i) => i + 1));
      const delivered = [];
      while (delivered.length < sent.length) delivered.push(...(await reader.expect('deliver')).deliveries);
      expect(delivered.map((d) => d.seq)).toEqual(acks);
      expect(delivered.map((d) => toHex(d.envelope))).toEqual(sent.map((e) => toHex(e.bytes)));
    });

    it('answers a retry with the stored seq, also within one batch, and stores nothing new', async () => {
      const { creator, room } = await newRoom();
      const first = makeEnvelope({ author: creator.device!, room, clock: 1 });
      const second = makeEnvelope({ author: creator.device!, room, clock: 2 });
      for (const bytes of [first.bytes, first.bytes, second.bytes, first.bytes]) {
        creator.sendFrame({ type: 'append', envelope: bytes });
      }
      const acks = [];
      for (let i = 0; i < 4; i++) acks.push((await creator.expect('ack')).seq);
      expect(acks).toEqual([1, 1, 2, 1]);
      expect((await creator.append(second.bytes)).seq).toBe(2);
      const { delivers, caughtUp } = await creator.subscribe(room);
      expect(seqsOf(delivers)).toEqual([1, 2]);
      expect(caughtUp.headSeq).toBe(2);
    });

    it('applies the clock rule: only the next clock, no reused clock, no reused id', async () => {
      const { creator, room } = await newRoom();
      const device = creator.device!;
      creator.sendFrame({ type: 'append', envelope: makeEnvelope({ author: device, room, clock: 2 }).bytes });
      const skipped = await creator.expectError();
      expect(skipped.code).toBe('clock_out_of_order');
      expect(skipped.message).toContain('expected clock 1');
      const first = makeEnvelope({ author: device, room, clock: 1 });
      expect((await creator.append(first.bytes)).seq).toBe(1);
      creator.sendFrame({ type: 'append', envelope: makeEnvelope({ author: device, room, clock: 1 }).bytes });
      expect((await creator.expectError()).code).toBe('clock_out_of_order');
      const reusedId = makeEnvelope({ author: device, room, clock: 2, id: first.id });
      creator.sendFrame({ type: 'append', envelope: reusedId.bytes });
      expect((await creator.expectError()).code).toBe('duplicate_id');
      expect((await creator.append(makeEnvelope({ author: device, room, clock: 2 }).bytes)).seq).toBe(2);
    });

    it('catches up in pages from any seq, then CAUGHT_UP with the head', async () => {
      const { creator, room } = await newRoom();
      const total = CATCH_UP_PAGE_ENVELOPES + 40;
      const sent = Array.from({ length: total }, (_, i) =>
        makeEnvelope({ author: creator.device!, room, clock: i + 1, ciphertext: randomBytesOf(80) }),
      );
      for (const envelope of sent) creator.sendFrame({ type: 'append', envelope: envelope.bytes });
      for (let i = 0; i < total; i++) await creator.expect('ack');
      const reader = await RelayClient.connectAs(suite.relay.wsUrl, creator.device!);
      const all = await reader.subscribe(room);
      expect(all.delivers.length).toBeGreaterThanOrEqual(2);
      expect(seqsOf(all.delivers)).toEqual(sent.map((_, i) => i + 1));
      expect(all.delivers.flatMap((d) => d.deliveries.map((x) => toHex(x.envelope)))).toEqual(
        sent.map((e) => toHex(e.bytes)),
      );
      expect(all.caughtUp.headSeq).toBe(total);
      const tail = await reader.subscribe(room, total - 3);
      expect(seqsOf(tail.delivers)).toEqual([total - 2, total - 1, total]);
      expect((await reader.subscribe(room, total)).delivers).toEqual([]);
    });

    it('admits an invited device once, pushes MEMBERS, and interleaves both authors in one seq order', async () => {
      const { creator, room } = await newRoom();
      await creator.subscribe(room);
      const { inviteId, key } = await invite(creator, room);
      const guestDevice = makeDevice();
      const guest = await RelayClient.connectAs(suite.relay.wsUrl, guestDevice);
      const rivalDevice = makeDevice();
      const rival = await RelayClient.connectAs(suite.relay.wsUrl, rivalDevice);
      guest.sendFrame({
        type: 'claimInvite',
        inviteId,
        signature: claimSignature(key, inviteId, guestDevice),
      });
      rival.sendFrame({
        type: 'claimInvite',
        inviteId,
        signature: claimSignature(key, inviteId, rivalDevice),
      });
      const outcomes = [await guest.next(), await rival.next()];
      const winners = outcomes.filter((f) => f.type === 'claimed');
      expect(winners).toHaveLength(1);
      const loser = outcomes.find((f) => f.type === 'error');
      expect(loser?.type === 'error' && loser.code).toBe('invite_used');
      const [winner, winnerDevice] =
        outcomes[0].type === 'claimed' ? [guest, guestDevice] : [rival, rivalDevice];
      winner.sendFrame({
        type: 'claimInvite',
        inviteId,
        signature: claimSignature(key, inviteId, winnerDevice),
      });
      await winner.expect('claimed'); // a retry by the same device

      const pushed = await creator.expect('members');
      expect(pushed.members.map((m) => toHex(m.signPublic))).toEqual([
        toHex(creator.device!.publicKey),
        toHex(winnerDevice.publicKey),
      ]);
      expect(pushed.members[1].inviteId).toEqual(inviteId);
      const again = await creator.expect('members'); // the retry pushes the unchanged list again
      expect(again.members).toHaveLength(2);

      const a1 = await creator.append(makeEnvelope({ author: creator.device!, room, clock: 1 }).bytes);
      const b1 = await winner.append(makeEnvelope({ author: winnerDevice, room, clock: 1 }).bytes);
      expect((await creator.expect('deliver')).deliveries.map((d) => d.seq)).toEqual([2]);
      const a2 = await creator.append(makeEnvelope({ author: creator.device!, room, clock: 2 }).bytes);
      expect([a1.seq, b1.seq, a2.seq]).toEqual([1, 2, 3]);
    });

    it('keeps rooms, members, envelopes, seqs and clocks across a restart', async () => {
      const { creator, room } = await newRoom();
      const device = creator.device!;
      const sent = Array.from({ length: 20 }, (_, i) => makeEnvelope({ author: device, room, clock: i + 1 }));
      for (const envelope of sent) await creator.append(envelope.bytes);
      expect(await suite.relay.stop()).toBe(0);
      suite.relay = await suite.storage.start();
      if (backend.name === 'postgres') {
        // Proof that the rows came from PostgreSQL: this relay's DATA_DIR holds no SQLite file.
        expect(fs.existsSync(path.join(suite.relay.dataDir, 'hearth.sqlite'))).toBe(false);
      }
      const reader = await RelayClient.connectAs(suite.relay.wsUrl, device);
      const { members, delivers, caughtUp } = await reader.subscribe(room);
      expect(members.members.map((m) => toHex(m.signPublic))).toEqual([toHex(device.publicKey)]);
      expect(seqsOf(delivers)).toEqual(sent.map((_, i) => i + 1));
      expect(delivers.flatMap((d) => d.deliveries.map((x) => toHex(x.envelope)))).toEqual(
        sent.map((e) => toHex(e.bytes)),
      );
      expect(caughtUp.headSeq).toBe(20);
      expect((await reader.append(sent[4].bytes)).seq).toBe(5);
      expect((await reader.append(makeEnvelope({ author: device, room, clock: 21 }).bytes)).seq).toBe(21);
    });
  });
}

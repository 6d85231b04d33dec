import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { INVITE_TTL_MS } from '../../src/lib/protocol/limits';
import {
  claimInvite,
  claimSignature,
  makeDevice,
  makeEnvelope,
  makeSigner,
  randomBytesOf,
  randomInviteId,
  RelayClient,
  type Signer,
} from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
});

interface Invited {
  creator: RelayClient;
  room: Uint8Array;
  inviteId: Uint8Array;
  claimKey: Signer;
  box: Uint8Array;
  expiresAt: number;
}

/** A room whose creator is subscribed (caught up) and has stored an invite. */
async function roomWithInvite(ttlMs = 60_000): Promise<Invited> {
  const creator = await RelayClient.connectAs(relay.wsUrl);
  const room = await creator.createRoom();
  await creator.subscribe(room);
  const inviteId = randomInviteId();
  const claimKey = makeSigner();
  const box = randomBytesOf(200);
  const expiresAt = Date.now() + ttlMs;
  creator.sendFrame({ type: 'putInvite', room, inviteId, claimPublic: claimKey.publicKey, expiresAt, box });
  const stored = await creator.expect('inviteStored');
  expect(toHex(stored.inviteId)).toBe(toHex(inviteId));
  return { creator, room, inviteId, claimKey, box, expiresAt };
}

describe('@relay invites', () => {
  it('lets an invited device read the invite, claim it, and become a member the creator sees in MEMBERS', async () => {
    const { creator, room, inviteId, claimKey, box, expiresAt } = await roomWithInvite();
    const guestDevice = makeDevice();
    const guest = await RelayClient.connectAs(relay.wsUrl, guestDevice);

    guest.sendFrame({ type: 'getInvite', inviteId });
    const invite = await guest.expect('invite');
    expect(toHex(invite.room)).toBe(toHex(room));
    expect(toHex(invite.box)).toBe(toHex(box));
    expect(invite.expiresAt).toBe(expiresAt);

    const signature = claimSignature(claimKey, inviteId, guestDevice);
    guest.sendFrame({ type: 'claimInvite', inviteId, signature });
    const claimed = await guest.expect('claimed');
    expect(toHex(claimed.room)).toBe(toHex(room));

    const pushed = await creator.expect('members');
    expect(pushed.members.map((m) => toHex(m.signPublic))).toEqual([
      toHex(creator.device!.publicKey),
      toHex(guestDevice.publicKey),
    ]);
    expect(toHex(pushed.members[1].boxPublic)).toBe(toHex(guestDevice.boxPublic));
    expect(toHex(pushed.members[1].proof)).toBe(toHex(signature));
    expect(toHex(pushed.members[1].inviteId)).toBe(toHex(inviteId));

    const ack = await guest.append(makeEnvelope({ author: guestDevice, room, clock: 1 }).bytes);
    expect(ack.seq).toBe(1);
    const delivered = await creator.expect('deliver');
    expect(delivered.deliveries.map((d) => d.seq)).toEqual([1]);
  });

  it('answers a claim retry by the same device with CLAIMED again', async () => {
    const { inviteId, claimKey } = await roomWithInvite();
    const guestDevice = makeDevice();
    const guest = await RelayClient.connectAs(relay.wsUrl, guestDevice);
    const signature = claimSignature(claimKey, inviteId, guestDevice);
    guest.sendFrame({ type: 'claimInvite', inviteId, signature });
    await guest.expect('claimed');
    guest.sendFrame({ type: 'claimInvite', inviteId, signature });
    await guest.expect('claimed');
    guest.sendFrame({ type: 'getInvite', inviteId });
    await guest.expect('invite');
  });

  it('refuses a second device claiming a used invite with invite_used', async () => {
    const { room, inviteId, claimKey } = await roomWithInvite();
    await claimInvite(relay.wsUrl, { inviteId, claimKey });

    const second = makeDevice();
    const secondClient = await RelayClient.connectAs(relay.wsUrl, second);
    secondClient.sendFrame({
      type: 'claimInvite',
      inviteId,
      signature: claimSignature(claimKey, inviteId, second),
    });
    const error = await secondClient.expectError();
    expect(error.code).toBe('invite_used');
    expect(toHex(error.ref)).toBe(toHex(inviteId));
    secondClient.sendFrame({ type: 'getInvite', inviteId });
    expect((await secondClient.expectError()).code).toBe('invite_used');
    secondClient.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
    expect((await secondClient.expectError()).code).toBe('not_a_member');
  });

  it('refuses a claim signed by a key other than the invite claim key with bad_signature', async () => {
    const { room, inviteId } = await roomWithInvite();
    const guestDevice = makeDevice();
    const guest = await RelayClient.connectAs(relay.wsUrl, guestDevice);
    guest.sendFrame({
      type: 'claimInvite',
      inviteId,
      signature: claimSignature(makeSigner(), inviteId, guestDevice),
    });
    expect((await guest.expectError()).code).toBe('bad_signature');
    guest.sendFrame({ type: 'subscribe', room, afterSeq: 0 });
    expect((await guest.expectError()).code).toBe('not_a_member');
  });

  it('refuses a claim signature made for another device', async () => {
    const { inviteId, claimKey } = await roomWithInvite();
    const guest = await RelayClient.connectAs(relay.wsUrl);
    guest.sendFrame({
      type: 'claimInvite',
      inviteId,
      signature: claimSignature(claimKey, inviteId, makeDevice()),
    });
    expect((await guest.expectError()).code).toBe('bad_signature');
  });

  it('refuses reading or claiming an invite after it expires with invite_expired', async () => {
    const { inviteId, claimKey, expiresAt } = await roomWithInvite(800);
    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 50));
    const guestDevice = makeDevice();
    const guest = await RelayClient.connectAs(relay.wsUrl, guestDevice);
    guest.sendFrame({ type: 'getInvite', inviteId });
    expect((await guest.expectError()).code).toBe('invite_expired');
    guest.sendFrame({
      type: 'claimInvite',
      inviteId,
      signature: claimSignature(claimKey, inviteId, guestDevice),
    });
    expect((await guest.expectError()).code).toBe('invite_expired');
  });

  it('answers an unknown invite id with invite_not_found', async () => {
    const guest = await RelayClient.connectAs(relay.wsUrl);
    const inviteId = randomInviteId();
    guest.sendFrame({ type: 'getInvite', inviteId });
    expect((await guest.expectError()).code).toBe('invite_not_found');
    guest.sendFrame({ type: 'claimInvite', inviteId, signature: randomBytesOf(64) });
    expect((await guest.expectError()).code).toBe('invite_not_found');
  });

  it('refuses an invite from a device that is not a member of the room', async () => {
    const { room } = await roomWithInvite();
    const outsider = await RelayClient.connectAs(relay.wsUrl);
    outsider.sendFrame({
      type: 'putInvite',
      room,
      inviteId: randomInviteId(),
      claimPublic: makeSigner().publicKey,
      expiresAt: Date.now() + 60_000,
      box: randomBytesOf(10),
    });
    expect((await outsider.expectError()).code).toBe('not_a_member');
  });

  it('refuses an expiry in the past or beyond the invite TTL with malformed_frame', async () => {
    const { creator, room } = await roomWithInvite();
    const put = (expiresAt: number) =>
      creator.sendFrame({
        type: 'putInvite',
        room,
        inviteId: randomInviteId(),
        claimPublic: makeSigner().publicKey,
        expiresAt,
        box: randomBytesOf(10),
      });
    put(Date.now() - 1000);
    const past = await creator.expectError();
    expect(past.code).toBe('malformed_frame');
    expect(past.message).toContain('past');
    put(Date.now() + INVITE_TTL_MS + 10 * 60_000);
    const far = await creator.expectError();
    expect(far.code).toBe('malformed_frame');
    expect(far.message).toContain('days ahead');
  });

  it('refuses a reused invite id with different contents as duplicate_id, and accepts an identical retry', async () => {
    const { creator, room, inviteId, claimKey, box, expiresAt } = await roomWithInvite();
    creator.sendFrame({ type: 'putInvite', room, inviteId, claimPublic: claimKey.publicKey, expiresAt, box });
    await creator.expect('inviteStored');
    creator.sendFrame({
      type: 'putInvite',
      room,
      inviteId,
      claimPublic: makeSigner().publicKey,
      expiresAt,
      box,
    });
    expect((await creator.expectError()).code).toBe('duplicate_id');
  });
});

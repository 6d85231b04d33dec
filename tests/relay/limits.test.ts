import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { MAX_CONNECTIONS_PER_DEVICE } from '../../src/lib/protocol/limits';
import {
  claimSignature,
  makeDevice,
  makeEnvelope,
  randomRoom,
  RelayClient,
  storeInvite,
  type TestDevice,
} from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';
import { authOnceFree } from '../helpers/socketSlots';

const relays: RunningRelay[] = [];

async function start(env: Record<string, string> = {}): Promise<RunningRelay> {
  const relay = await startRelay({ env });
  relays.push(relay);
  return relay;
}

afterAll(async () => {
  for (const relay of relays) {
    await relay.stop();
    relay.removeData();
  }
});

/** A fresh device appends once in a fresh room: the relay is up and serving. */
async function expectRelayServes(relay: RunningRelay): Promise<void> {
  const client = await RelayClient.connectAs(relay.wsUrl);
  const room = await client.createRoom();
  expect((await client.append(makeEnvelope({ author: client.device!, room, clock: 1 }).bytes)).seq).toBe(1);
  client.close();
}

describe('@relay envelopes per second per device', () => {
  const BURST = 5;
  let relay: RunningRelay;
  beforeAll(async () => {
    // A bucket that refills one token per 1000 s: nothing refills while the test runs.
    relay = await start({ RATE_ENVELOPES_PER_SECOND: '0.001', RATE_ENVELOPES_BURST: String(BURST) });
  });

  it('refuses appends beyond the burst across all sockets of a device with rate_limited, stores none, and keeps serving', async () => {
    const device = makeDevice();
    const first = await RelayClient.connectAs(relay.wsUrl, device);
    const second = await RelayClient.connectAs(relay.wsUrl, device);
    const room = await first.createRoom();
    for (let clock = 1; clock <= 3; clock++) {
      await first.append(makeEnvelope({ author: device, room, clock }).bytes);
    }
    for (let clock = 4; clock <= BURST; clock++) {
      await second.append(makeEnvelope({ author: device, room, clock }).bytes);
    }

    const over = makeEnvelope({ author: device, room, clock: BURST + 1 });
    second.sendFrame({ type: 'append', envelope: over.bytes });
    const refused = await second.expectError();
    expect(refused.code).toBe('rate_limited');
    expect(toHex(refused.ref)).toBe(toHex(over.id));
    expect(refused.message).toMatch(/retry in \d+ ms/);
    // The other socket of the same device draws on the same bucket.
    first.sendFrame({ type: 'append', envelope: over.bytes });
    expect((await first.expectError()).code).toBe('rate_limited');

    const { caughtUp } = await first.subscribe(room);
    expect(caughtUp.headSeq).toBe(BURST);
    // Another device has its own bucket.
    await expectRelayServes(relay);
  });
});

describe('@relay rooms per device', () => {
  const MAX_ROOMS = 3;
  let relay: RunningRelay;
  beforeAll(async () => {
    relay = await start({ MAX_ROOMS_PER_DEVICE: String(MAX_ROOMS) });
  });

  it('refuses creating a room beyond the limit with too_many_rooms, yet answers a retry for a room it is in', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const rooms = [];
    for (let i = 0; i < MAX_ROOMS; i++) rooms.push(await client.createRoom());
    const extra = randomRoom();
    client.sendFrame({ type: 'createRoom', room: extra });
    const refused = await client.expectError();
    expect(refused.code).toBe('too_many_rooms');
    expect(toHex(refused.ref)).toBe(toHex(extra));
    await client.createRoom(rooms[0]);

    // Nothing was stored for the refused room: another device may create it.
    const other = await RelayClient.connectAs(relay.wsUrl);
    await other.createRoom(extra);
  });

  it('refuses claiming an invite into a room beyond the limit with too_many_rooms, and does not add the member', async () => {
    const host = await RelayClient.connectAs(relay.wsUrl);
    const room = await host.createRoom();
    const { inviteId, claimKey } = await storeInvite(host, room, new Uint8Array(64));

    const full: TestDevice = makeDevice();
    const joiner = await RelayClient.connectAs(relay.wsUrl, full);
    for (let i = 0; i < MAX_ROOMS; i++) await joiner.createRoom();
    joiner.sendFrame({ type: 'claimInvite', inviteId, signature: claimSignature(claimKey, inviteId, full) });
    const refused = await joiner.expectError();
    expect(refused.code).toBe('too_many_rooms');
    expect(toHex(refused.ref)).toBe(toHex(inviteId));

    const { members } = await host.subscribe(room);
    expect(members.members.map((m) => toHex(m.signPublic))).toEqual([toHex(host.device!.publicKey)]);
    await expectRelayServes(relay);
  });
});

describe('@relay connections per device', () => {
  let relay: RunningRelay;
  beforeAll(async () => {
    relay = await start();
  });

  it('refuses one socket more than the limit with too_many_connections and close 4003, and frees a slot on close', async () => {
    const device = makeDevice();
    const open: RelayClient[] = [];
    for (let i = 0; i < MAX_CONNECTIONS_PER_DEVICE; i++) {
      open.push(await RelayClient.connectAs(relay.wsUrl, device));
    }
    const extra = await RelayClient.connect(relay.wsUrl);
    extra.sendFrame(extra.authFrame(device));
    expect((await extra.expectError()).code).toBe('too_many_connections');
    expect((await extra.closed).code).toBe(4003);

    // The sockets already open keep working.
    const room = await open[0].createRoom();
    await open[1].append(makeEnvelope({ author: device, room, clock: 1 }).bytes);

    open[0].close();
    await open[0].closed;
    const again = await authOnceFree(relay, device);
    await again.append(makeEnvelope({ author: device, room, clock: 2 }).bytes);
    await expectRelayServes(relay);
  });
});

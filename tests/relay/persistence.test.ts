import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { makeEnvelope, randomBytesOf, RelayClient, seqsOf } from '../helpers/relayClient';
import { makeDataDir, startRelay, type RunningRelay } from '../helpers/relayProcess';

const running: RunningRelay[] = [];
const dataDirs: string[] = [];

async function start(dataDir: string): Promise<RunningRelay> {
  const relay = await startRelay({ dataDir });
  running.push(relay);
  return relay;
}

function newDataDir(): string {
  const dir = makeDataDir();
  dataDirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const relay of running.splice(0)) await relay.stop();
  for (const dir of dataDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('@relay durability', () => {
  it('keeps rooms, members and envelopes with their seqs across a restart', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const writer = await RelayClient.connectAs(first.wsUrl);
    const device = writer.device!;
    const room = await writer.createRoom();
    const sent = Array.from({ length: 20 }, (_, i) =>
      makeEnvelope({ author: device, room, clock: i + 1, ciphertext: randomBytesOf(100) }),
    );
    for (const envelope of sent) await writer.append(envelope.bytes);
    expect(await first.stop()).toBe(0);

    const second = await start(dataDir);
    const reader = await RelayClient.connectAs(second.wsUrl, device);
    const { members, delivers, caughtUp } = await reader.subscribe(room);
    expect(members.members.map((m) => toHex(m.signPublic))).toEqual([toHex(device.publicKey)]);
    expect(seqsOf(delivers)).toEqual(sent.map((_, i) => i + 1));
    expect(delivers.flatMap((d) => d.deliveries.map((x) => toHex(x.envelope)))).toEqual(
      sent.map((e) => toHex(e.bytes)),
    );
    expect(caughtUp.headSeq).toBe(20);
    // The author's clock continues where it was, and a retry still gets its old seq.
    expect((await reader.append(sent[4].bytes)).seq).toBe(5);
    expect((await reader.append(makeEnvelope({ author: device, room, clock: 21 }).bytes)).seq).toBe(21);
  });

  it('on SIGTERM acks what it committed, closes sockets with 1012 and exits 0; every acked envelope survives', async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const writer = await RelayClient.connectAs(first.wsUrl);
    const device = writer.device!;
    const room = await writer.createRoom();
    const sent = Array.from({ length: 200 }, (_, i) => makeEnvelope({ author: device, room, clock: i + 1 }));
    for (const envelope of sent) writer.sendFrame({ type: 'append', envelope: envelope.bytes });
    await writer.expect('ack');
    first.kill('SIGTERM');
    const acked = [1];
    for (;;) {
      const frame = await writer.next().catch(() => null);
      if (!frame) break;
      // A frame the relay had not read when shutdown began is refused, not lost silently.
      if (frame.type === 'error' && frame.code === 'shutting_down') continue;
      expect(frame.type).toBe('ack');
      if (frame.type === 'ack') acked.push(frame.seq);
    }
    expect((await writer.closed).code).toBe(1012);
    expect(await first.exited).toBe(0);
    expect(acked).toEqual(acked.map((_, i) => i + 1));

    const second = await start(dataDir);
    const reader = await RelayClient.connectAs(second.wsUrl, device);
    const { caughtUp, delivers } = await reader.subscribe(room);
    expect(caughtUp.headSeq).toBeGreaterThanOrEqual(acked.length);
    expect(seqsOf(delivers).slice(0, acked.length)).toEqual(acked);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { makeEnvelope, RelayClient, seqsOf } from '../helpers/relayClient';
import { makeDataDir, startRelay, type RunningRelay } from '../helpers/relayProcess';

const dataDir = makeDataDir();
const relays: RunningRelay[] = [];

afterAll(async () => {
  for (const relay of relays) await relay.stop();
  relays[0]?.removeData();
});

describe('@relay graceful shutdown', () => {
  it('on SIGTERM acks every append it took, refuses later frames with shutting_down, closes with 1012, and stores exactly what it acked', async () => {
    const first = await startRelay({ dataDir, env: { RATE_ENVELOPES_BURST: '100000' } });
    relays.push(first);
    const writer = await RelayClient.connectAs(first.wsUrl);
    const device = writer.device!;
    const room = await writer.createRoom();
    const envelopes = Array.from({ length: 2000 }, (_, i) =>
      makeEnvelope({ author: device, room, clock: i + 1 }),
    );
    let next = 0;
    // More than the relay reads before pausing the socket (256 unanswered), so some are still unread at SIGTERM.
    for (; next < 600; next++) writer.sendFrame({ type: 'append', envelope: envelopes[next].bytes });
    await writer.waitFor('ack');
    first.kill('SIGTERM');
    // Keep appending while the relay shuts down, as a busy device would.
    const sending = setInterval(() => {
      if (next < envelopes.length && writer.ws.readyState === writer.ws.OPEN) {
        writer.sendFrame({ type: 'append', envelope: envelopes[next++].bytes });
      }
    }, 1);
    const close = await writer.closed;
    clearInterval(sending);
    expect(close.code).toBe(1012);
    expect(await first.exited).toBe(0);

    const replies = writer.pending();
    const acks = replies.flatMap((f) => (f.type === 'ack' ? [f] : []));
    const refusals = replies.flatMap((f) => (f.type === 'error' ? [f.code] : []));
    expect(replies.every((f) => f.type === 'ack' || f.type === 'error')).toBe(true);
    expect(new Set(refusals)).toEqual(new Set(refusals.length > 0 ? ['shutting_down'] : []));
    const acked = [1, ...acks.map((a) => a.seq)];
    expect(acked).toEqual(acked.map((_, i) => i + 1));
    console.log(
      `shutdown: ${acked.length} acked, ${refusals.length} refused with shutting_down, ${next} sent`,
    );

    // A new socket is not accepted once shutdown has begun.
    await expect(RelayClient.connect(first.wsUrl)).rejects.toThrow();

    const second = await startRelay({ dataDir });
    relays.push(second);
    const reader = await RelayClient.connectAs(second.wsUrl, device);
    const { delivers, caughtUp } = await reader.subscribe(room);
    // Every append the relay took was committed and acked before it exited; nothing else was stored.
    expect(caughtUp.headSeq).toBe(acked.length);
    expect(seqsOf(delivers)).toEqual(acked);
    expect(delivers.flatMap((d) => d.deliveries.map((x) => toHex(x.envelope)))).toEqual(
      envelopes.slice(0, acked.length).map((e) => toHex(e.bytes)),
    );
    reader.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FRAME } from '../../src/lib/protocol/frames';
import { MAX_ENVELOPE_BYTES, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../src/lib/protocol/limits';
import { makeEnvelope, randomBytesOf, randomRoom, RelayClient } from '../helpers/relayClient';
import { startRelay, type RunningRelay } from '../helpers/relayProcess';

let relay: RunningRelay;

beforeAll(async () => {
  relay = await startRelay();
});

afterAll(async () => {
  await relay.stop();
  relay.removeData();
});

/** The relay still serves a well-behaved device end to end. */
async function expectRelayServes(): Promise<void> {
  const client = await RelayClient.connectAs(relay.wsUrl);
  const room = await client.createRoom();
  const ack = await client.append(makeEnvelope({ author: client.device!, room, clock: 1 }).bytes);
  expect(ack.seq).toBe(1);
  client.close();
}

describe('@relay malformed input', () => {
  it('answers a text frame with malformed_frame and keeps the socket', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    client.sendRaw('{"type":"subscribe"}');
    expect((await client.expectError()).code).toBe('malformed_frame');
    await client.createRoom();
  });

  it('answers truncated, unknown-version and unknown-type frames with their codes and keeps the socket', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const subscribe = encodeFrame({ type: 'subscribe', room: randomRoom(), afterSeq: 0 });
    const cases: Array<[Uint8Array, string]> = [
      [subscribe.subarray(0, 10), 'malformed_frame'],
      [new Uint8Array(0), 'malformed_frame'],
      [Uint8Array.of(...subscribe, 0), 'malformed_frame'],
      [Uint8Array.of(PROTOCOL_VERSION + 1, FRAME.subscribe, ...randomRoom(), 0), 'unknown_version'],
      [Uint8Array.of(PROTOCOL_VERSION, 99), 'unknown_frame_type'],
      [
        Uint8Array.of(PROTOCOL_VERSION, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
        'malformed_frame',
      ],
    ];
    for (const [bytes, code] of cases) {
      client.sendRaw(bytes);
      expect((await client.expectError()).code).toBe(code);
    }
    await client.createRoom();
    await expectRelayServes();
  });

  it('answers frames only the relay sends with malformed_frame naming the frame', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    client.sendFrame({ type: 'ack', room: randomRoom(), id: randomBytesOf(16), seq: 1 });
    const error = await client.expectError();
    expect(error.code).toBe('malformed_frame');
    expect(error.message).toContain('clients may not send ACK');
    client.sendFrame({ type: 'caughtUp', room: randomRoom(), headSeq: 1 });
    expect((await client.expectError()).message).toContain('CAUGHT_UP');
  });

  it('answers an envelope that is not a valid envelope with its decode error and stores nothing', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const envelope = makeEnvelope({ author: client.device!, room, clock: 1 }).bytes;
    client.sendFrame({ type: 'append', envelope: envelope.subarray(0, envelope.length - 1) });
    expect((await client.expectError()).code).toBe('malformed_frame');
    client.sendFrame({ type: 'append', envelope: Uint8Array.of(9, ...envelope.subarray(1)) });
    expect((await client.expectError()).code).toBe('unknown_version');
    const { caughtUp } = await client.subscribe(room);
    expect(caughtUp.headSeq).toBe(0);
  });

  it('answers an envelope over MAX_ENVELOPE_BYTES with envelope_too_large and keeps the socket', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const big = makeEnvelope({
      author: client.device!,
      room,
      clock: 1,
      ciphertext: randomBytesOf(MAX_ENVELOPE_BYTES),
    });
    client.sendFrame({ type: 'append', envelope: big.bytes });
    expect((await client.expectError()).code).toBe('envelope_too_large');
    const ack = await client.append(makeEnvelope({ author: client.device!, room, clock: 1 }).bytes);
    expect(ack.seq).toBe(1);
  });

  it('answers a frame over MAX_FRAME_BYTES with frame_too_large, closes with 1009, and serves others', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    client.sendRaw(randomBytesOf(MAX_FRAME_BYTES + 1));
    expect((await client.expectError()).code).toBe('frame_too_large');
    expect((await client.closed).code).toBe(1009);
    await expectRelayServes();
  });

  it('closes with 1009 on a frame far over the limit, and serves others', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    client.sendRaw(randomBytesOf(4 * MAX_FRAME_BYTES));
    expect((await client.closed).code).toBe(1009);
    await expectRelayServes();
  });
});

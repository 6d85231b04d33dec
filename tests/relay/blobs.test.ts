import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/hex';
import { BLOB_CHUNK_BYTES, MAX_BLOB_BYTES } from '../../src/lib/protocol/limits';
import { blobBytes, downloadBlob, sha256, uploadBlob } from '../helpers/blobTransfer';
import { makeDevice, RelayClient } from '../helpers/relayClient';
import { RELAY_BACKENDS, type BackendStorage } from '../helpers/relayBackends';
import type { RunningRelay } from '../helpers/relayProcess';

describe.each(RELAY_BACKENDS)('@relay blobs on $name', (backend) => {
  let storage: BackendStorage;
  let relay: RunningRelay;

  beforeAll(async () => {
    if (backend.skipReason) return;
    storage = await backend.prepare();
    relay = await storage.start();
  });

  afterAll(async () => {
    await storage?.dispose();
  });

  const test = it.skipIf(backend.skipReason !== null);

  test('uploads a multi-chunk blob chunk by chunk and downloads identical bytes', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const bytes = blobBytes(2 * BLOB_CHUNK_BYTES + 12_345);
    const progress = await uploadBlob(client, room, bytes);
    expect(progress.map((p) => [p.received, p.complete])).toEqual([
      [BLOB_CHUNK_BYTES, false],
      [2 * BLOB_CHUNK_BYTES, false],
      [bytes.length, true],
    ]);
    expect(progress.every((p) => toHex(p.hash) === toHex(sha256(bytes)))).toBe(true);

    const { bytes: downloaded, chunks } = await downloadBlob(client, room, sha256(bytes));
    expect(chunks.length).toBe(3);
    for (const chunk of chunks) expect(chunk.chunk.length).toBeLessThanOrEqual(BLOB_CHUNK_BYTES);
    expect(toHex(sha256(downloaded))).toBe(toHex(sha256(bytes)));
    expect(downloaded).toEqual(bytes);
    client.close();
  });

  test('downloads from any offset, across the chunk boundaries the uploader chose', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const bytes = blobBytes(100_000, 7);
    await uploadBlob(client, room, bytes, { chunkBytes: 30_000 });
    client.sendFrame({ type: 'blobGet', room, hash: sha256(bytes), offset: 25_000 });
    const chunk = await client.expect('blobChunk');
    expect(chunk.offset).toBe(25_000);
    expect(chunk.size).toBe(bytes.length);
    expect(chunk.chunk).toEqual(bytes.subarray(25_000));
    client.close();
  });

  test('resumes an interrupted upload after reconnecting, from the received count BLOB_STATUS gives', async () => {
    const device = makeDevice();
    const first = await RelayClient.connectAs(relay.wsUrl, device);
    const room = await first.createRoom();
    const bytes = blobBytes(3 * BLOB_CHUNK_BYTES + 1, 3);
    const hash = sha256(bytes);
    await uploadBlob(first, room, bytes, { until: 2 * BLOB_CHUNK_BYTES });
    first.close();
    await first.closed;

    const second = await RelayClient.connectAs(relay.wsUrl, device);
    second.sendFrame({ type: 'blobStatus', room, hash });
    const status = await second.expect('blobProgress');
    expect(status).toMatchObject({ received: 2 * BLOB_CHUNK_BYTES, complete: false });
    const rest = await uploadBlob(second, room, bytes, { from: status.received });
    expect(rest.map((p) => [p.received, p.complete])).toEqual([
      [3 * BLOB_CHUNK_BYTES, false],
      [bytes.length, true],
    ]);
    expect((await downloadBlob(second, room, hash)).bytes).toEqual(bytes);
    second.close();
  });

  test('refuses a chunk at any offset but the received count, naming the expected offset', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const bytes = blobBytes(50_000, 4);
    const hash = sha256(bytes);
    client.sendFrame({
      type: 'blobPut',
      room,
      hash,
      size: bytes.length,
      offset: 10,
      chunk: bytes.subarray(10, 20),
    });
    const early = await client.expectError();
    expect(early.code).toBe('blob_offset_mismatch');
    expect(early.message).toContain('expected offset 0');
    expect(toHex(early.ref)).toBe(toHex(hash));

    await uploadBlob(client, room, bytes, { chunkBytes: 20_000, until: 20_000 });
    // A repeated chunk (its progress was lost) and a skipped one are both refused; neither changes what is stored.
    for (const offset of [0, 30_000]) {
      client.sendFrame({
        type: 'blobPut',
        room,
        hash,
        size: bytes.length,
        offset,
        chunk: bytes.subarray(offset, offset + 100),
      });
      const error = await client.expectError();
      expect(error.code).toBe('blob_offset_mismatch');
      expect(error.message).toContain('expected offset 20000');
    }
    client.sendFrame({ type: 'blobStatus', room, hash });
    expect(await client.expect('blobProgress')).toMatchObject({ received: 20_000, complete: false });
    client.close();
  });

  test('refuses a blob over MAX_BLOB_BYTES before storing any of it', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const hash = sha256(new Uint8Array([1]));
    client.sendFrame({
      type: 'blobPut',
      room,
      hash,
      size: MAX_BLOB_BYTES + 1,
      offset: 0,
      chunk: new Uint8Array(1000),
    });
    const error = await client.expectError();
    expect(error.code).toBe('blob_too_large');
    client.sendFrame({ type: 'blobStatus', room, hash });
    expect(await client.expect('blobProgress')).toMatchObject({ received: 0, complete: false });
    client.close();
  });

  test('discards an upload whose bytes do not hash to its address, and accepts a correct one afterwards', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const bytes = blobBytes(70_000, 5);
    const claimed = sha256(blobBytes(70_000, 6));
    await uploadBlob(client, room, bytes, { hash: claimed, chunkBytes: 40_000, until: 40_000 });
    client.sendFrame({
      type: 'blobPut',
      room,
      hash: claimed,
      size: bytes.length,
      offset: 40_000,
      chunk: bytes.subarray(40_000),
    });
    const error = await client.expectError();
    expect(error.code).toBe('blob_hash_mismatch');
    expect(toHex(error.ref)).toBe(toHex(claimed));
    client.sendFrame({ type: 'blobStatus', room, hash: claimed });
    expect(await client.expect('blobProgress')).toMatchObject({ received: 0, complete: false });
    client.sendFrame({ type: 'blobGet', room, hash: claimed, offset: 0 });
    expect((await client.expectError()).code).toBe('blob_not_found');

    const progress = await uploadBlob(client, room, bytes);
    expect(progress.at(-1)).toMatchObject({ received: bytes.length, complete: true });
    client.close();
  });

  test('answers a repeated upload of a complete blob as complete, without storing it again', async () => {
    const client = await RelayClient.connectAs(relay.wsUrl);
    const room = await client.createRoom();
    const bytes = blobBytes(1000, 8);
    await uploadBlob(client, room, bytes);
    const again = await uploadBlob(client, room, bytes, { chunkBytes: 400 });
    expect(again[0]).toMatchObject({ received: 1000, complete: true });
    client.sendFrame({ type: 'blobStatus', room, hash: sha256(bytes) });
    expect(await client.expect('blobProgress')).toMatchObject({ received: 1000, complete: true });
    client.close();
  });

  test('lets only members of the room a blob was posted to read it', async () => {
    const owner = await RelayClient.connectAs(relay.wsUrl);
    const room = await owner.createRoom();
    const bytes = blobBytes(5000, 9);
    const hash = sha256(bytes);
    await uploadBlob(owner, room, bytes);

    const stranger = await RelayClient.connectAs(relay.wsUrl);
    const otherRoom = await stranger.createRoom();
    for (const frame of [
      { type: 'blobGet', room, hash, offset: 0 },
      { type: 'blobStatus', room, hash },
      { type: 'blobPut', room, hash, size: bytes.length, offset: 0, chunk: bytes },
    ] as const) {
      stranger.sendFrame(frame);
      const error = await stranger.expectError();
      expect(error.code).toBe('not_a_member');
      expect(toHex(error.ref)).toBe(toHex(hash));
    }
    // Asking through a room the stranger is in: the blob is not there, and nothing says it exists elsewhere.
    stranger.sendFrame({ type: 'blobGet', room: otherRoom, hash, offset: 0 });
    expect((await stranger.expectError()).code).toBe('blob_not_found');
    stranger.sendFrame({ type: 'blobStatus', room: otherRoom, hash });
    expect(await stranger.expect('blobProgress')).toMatchObject({ received: 0, complete: false });
    owner.close();
    stranger.close();
  });

  test('keeps complete blobs across a relay restart', async () => {
    const device = makeDevice();
    const client = await RelayClient.connectAs(relay.wsUrl, device);
    const room = await client.createRoom();
    const bytes = blobBytes(BLOB_CHUNK_BYTES + 10, 10);
    await uploadBlob(client, room, bytes);
    client.close();
    await relay.stop();
    relay = await storage.start();
    const after = await RelayClient.connectAs(relay.wsUrl, device);
    expect((await downloadBlob(after, room, sha256(bytes))).bytes).toEqual(bytes);
    after.close();
  });
});

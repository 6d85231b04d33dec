import { createHash } from 'node:crypto';
import type { FrameOf } from '../../src/lib/protocol/frames';
import { BLOB_CHUNK_BYTES } from '../../src/lib/protocol/limits';
import type { RelayClient } from './relayClient';

/** SHA-256 of `bytes`: a blob's address. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** Random-looking bytes that are cheap to make in bulk (a blob's ciphertext, as far as the relay can tell). */
export function blobBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface UploadOptions {
  /** Bytes per BLOB_PUT (BLOB_CHUNK_BYTES unless given). */
  chunkBytes?: number;
  /** Start here instead of 0 (a resume). */
  from?: number;
  /** Stop once this many bytes are acknowledged (an interrupted upload). */
  until?: number;
  /** The hash to claim (the real SHA-256 unless given). */
  hash?: Uint8Array;
}

/** BLOB_PUT `bytes` chunk by chunk, each awaiting its BLOB_PROGRESS; resolves with every progress frame. */
export async function uploadBlob(
  client: RelayClient,
  room: Uint8Array,
  bytes: Uint8Array,
  options: UploadOptions = {},
): Promise<FrameOf<'blobProgress'>[]> {
  const hash = options.hash ?? sha256(bytes);
  const chunkBytes = options.chunkBytes ?? BLOB_CHUNK_BYTES;
  const until = options.until ?? bytes.length;
  const progress: FrameOf<'blobProgress'>[] = [];
  for (let offset = options.from ?? 0; offset < until; offset += chunkBytes) {
    const chunk = bytes.subarray(offset, Math.min(offset + chunkBytes, bytes.length));
    client.sendFrame({ type: 'blobPut', room, hash, size: bytes.length, offset, chunk });
    progress.push(await client.expect('blobProgress'));
  }
  return progress;
}

/** BLOB_GET from offset 0 until `size` bytes arrived; resolves with the reassembled bytes and each chunk frame. */
export async function downloadBlob(
  client: RelayClient,
  room: Uint8Array,
  hash: Uint8Array,
): Promise<{ bytes: Uint8Array; chunks: FrameOf<'blobChunk'>[] }> {
  const chunks: FrameOf<'blobChunk'>[] = [];
  let size = Infinity;
  let offset = 0;
  while (offset < size) {
    client.sendFrame({ type: 'blobGet', room, hash, offset });
    const chunk = await client.expect('blobChunk');
    chunks.push(chunk);
    size = chunk.size;
    offset += chunk.chunk.length;
    if (chunk.chunk.length === 0) break;
  }
  const bytes = new Uint8Array(offset);
  for (const chunk of chunks) bytes.set(chunk.chunk, chunk.offset);
  return { bytes, chunks };
}

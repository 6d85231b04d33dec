/** Stored chunks of one blob, in offset order, as the range queries return them. */
export interface StoredChunk {
  offset: number;
  bytes: Uint8Array;
}

/**
 * The bytes [offset, offset + maxBytes) of a blob, cut from the chunks that cover them: the first chunk may start
 * before `offset` (uploads choose their own chunk sizes), the last may run past the end. Stops at the first gap,
 * which cannot happen for a blob stored through appendChunk.
 */
export function concatChunks(chunks: StoredChunk[], offset: number, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = offset;
  let length = 0;
  for (const chunk of chunks) {
    const end = chunk.offset + chunk.bytes.length;
    if (chunk.offset > at || end <= at) {
      if (chunk.offset > at) break;
      continue;
    }
    const part = chunk.bytes.subarray(at - chunk.offset, Math.min(end, offset + maxBytes) - chunk.offset);
    parts.push(part);
    at += part.length;
    length += part.length;
    if (length >= maxBytes) break;
  }
  const out = new Uint8Array(length);
  let written = 0;
  for (const part of parts) {
    out.set(part, written);
    written += part.length;
  }
  return out;
}

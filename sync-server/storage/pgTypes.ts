import pg from 'pg';

const INT8_OID = 20;

/** bigint columns hold seqs, clocks, sizes and ms times: all far below 2^53, so a JS number is exact. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error('bigint column value beyond 2^53');
  return n;
}

/** Type parsers for every relay pool: bigint columns come back as numbers. */
export const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** A byte array as the Buffer pg sends as bytea (no copy). */
export function bytea(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

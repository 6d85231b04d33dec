import type { RelayContext } from '../context';

/** The room's highest seq (0 for an empty or unknown room), read through the page query without any envelopes. */
export async function roomHead(ctx: RelayContext, room: Uint8Array): Promise<number> {
  const page = await ctx.storage.readAfter(room, Number.MAX_SAFE_INTEGER, { maxEnvelopes: 1, maxBytes: 1 });
  return page.headSeq;
}

import type { RelayContext } from './context';

/**
 * Tell every live subscriber of `room` that its members, their devices, its membership log or its key bundles
 * changed (after a claim, a link, a revocation, a membership change or a key bundle). Storage is the source of
 * truth: each subscription rereads what it needs, on this relay process and on the others.
 */
export function publishMembers(room: Uint8Array, ctx: RelayContext): void {
  ctx.fanout.publish({ type: 'members', room });
}

/** publishMembers for every room of `identity`: its device list changed. */
export async function publishDevicesOf(identity: Uint8Array, ctx: RelayContext): Promise<void> {
  for (const room of await ctx.storage.listRoomsOf(identity)) publishMembers(room, ctx);
}

import type { RelayContext } from './context';

/**
 * Tell every live subscriber of `room` its current members and their devices (after a claim, a link or a
 * revocation). Storage is the source of truth: other relay processes reload both from it.
 */
export async function publishMembers(room: Uint8Array, ctx: RelayContext): Promise<void> {
  const members = await ctx.storage.listMembers(room);
  const devices = await ctx.storage.listRoomDevices(room);
  ctx.fanout.publish({ type: 'members', room, members, devices });
}

/** publishMembers for every room of `identity`: its device list changed. */
export async function publishDevicesOf(identity: Uint8Array, ctx: RelayContext): Promise<void> {
  for (const room of await ctx.storage.listRoomsOf(identity)) await publishMembers(room, ctx);
}

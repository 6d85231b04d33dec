import type { FrameOf } from '../../src/lib/protocol/frames';
import { fromHex, toHex } from '../../src/lib/protocol/hex';
import { decodeMembershipEntry } from '../../src/lib/protocol/membership';
import { foldMembership, judgeMembershipChange } from '../../src/lib/sync/membership';
import type { RelayContext } from '../context';
import { relayMembershipCrypto, storedLogCrypto } from '../membershipCrypto';
import { publishMembers } from '../publishMembers';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';

/**
 * MEMBERSHIP_CHANGE: a signed entry that extends the room's log by the rules every device applies
 * (`sync/membership.ts`) → stored with the room's head seq, members updated, MEMBERSHIP_ACCEPTED(room, index); then
 * every live subscriber gets the new entry (a removed or departed member's subscriptions end with not_a_member) and
 * the subject's devices a fresh ROOM_LIST. Refusals carry the room as ref: not_a_member, bad_signature,
 * membership_stale (the log moved on: reread it and rebase), membership_forbidden, malformed_frame.
 */
export async function handleMembershipChange(
  session: Session,
  device: AuthedDevice,
  frame: FrameOf<'membershipChange'>,
  ctx: RelayContext,
): Promise<void> {
  let entry;
  try {
    entry = decodeMembershipEntry(frame.entry).entry;
  } catch (error) {
    throw new RelayError('malformed_frame', (error as Error).message);
  }
  const { room } = entry;
  // The append bucket bounds this too: each change or bundle costs the relay a signature check and a transaction.
  const retryAfterMs = await ctx.deviceLimits.takeEnvelope(device.signPublic);
  if (retryAfterMs > 0) {
    throw new RelayError('rate_limited', `over the device's rate; retry in ${retryAfterMs} ms`, room);
  }
  const log = await ctx.storage.readMembershipLog(room);
  // The log's first entry may come only from the room's creator; later ones only from current members.
  const creator = log.length === 0 ? await ctx.storage.roomCreator(room) : undefined;
  const member = await ctx.storage.isMember(room, device.identity.signPublic);
  if (!member || (log.length === 0 && !creator)) {
    throw new RelayError('not_a_member', 'this device is not a member of the room', room);
  }
  const { state } = foldMembership(toHex(room), log, storedLogCrypto);
  const judged = judgeMembershipChange(
    state,
    frame.entry,
    { identity: device.identity.signPublic, device: device.signPublic },
    0,
    relayMembershipCrypto,
    creator,
  );
  if (!judged.ok) throw new RelayError(judged.code, judged.message, room);
  const outcome = await ctx.storage.appendMembership(
    {
      room,
      index: entry.index,
      entry: frame.entry,
      kind: entry.kind,
      subject: { signPublic: entry.subjectSign, boxPublic: entry.subjectBox },
      manager: fromHex(judged.state.manager!),
      epoch: judged.state.epoch,
    },
    Date.now(),
  );
  if (outcome.kind === 'stale') {
    throw new RelayError('membership_stale', 'the log moved on; read it again and rebase the change', room);
  }
  session.send({ type: 'membershipAccepted', room, index: entry.index });
  publishMembers(room, ctx);
  // A handover changes nobody's rooms.
  if (entry.kind !== 'handover') ctx.fanout.publishRooms(entry.subjectSign);
}

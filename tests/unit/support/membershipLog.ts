import { generateDeviceKeys, type DeviceKeys } from '$lib/crypto';
import type { LogEntry } from '$lib/protocol/frames';
import { toHex } from '$lib/protocol/hex';
import type { MembershipKind } from '$lib/protocol/membership';
import { applyMembershipEntry, emptyMembership, type MembershipState } from '$lib/sync/membership';
import { deviceMembershipCrypto, signMembershipEntry } from '$lib/sync/membershipEntries';

/** Someone with identity keys who can sign membership entries. */
export type Identity = DeviceKeys & { key: string };

export function identity(): Identity {
  const keys = generateDeviceKeys();
  return { ...keys, key: toHex(keys.signPublic) };
}

/** A membership entry signed by `author` (or by `signer`, to forge), on top of `state`'s head unless told otherwise. */
export function entryOn(
  state: MembershipState,
  kind: MembershipKind,
  author: Identity,
  subject: Identity,
  options: { index?: number; prev?: Uint8Array; room?: Uint8Array; signer?: Identity; at?: number } = {},
): Uint8Array {
  return signMembershipEntry(
    {
      room: options.room ?? Uint8Array.from(Buffer.from(state.room, 'hex')),
      index: options.index ?? state.length,
      prev: options.prev ?? state.head,
      kind,
      subjectSign: subject.signPublic,
      subjectBox: subject.boxPublic,
      author: author.signPublic,
      at: options.at ?? 1_700_000_000_000 + state.length,
    },
    (options.signer ?? author).signSecret,
  );
}

/** Apply an entry that must be valid; returns the new state. */
export function applied(state: MembershipState, bytes: Uint8Array, afterSeq = 0): MembershipState {
  const result = applyMembershipEntry(state, bytes, afterSeq, deviceMembershipCrypto);
  if (!result.ok) throw new Error(`entry refused: ${result.reason} (${result.message})`);
  return result.state;
}

/** A room whose log `starter` created, with `others` added in turn. */
export function roomWith(
  room: string,
  starter: Identity,
  others: Identity[] = [],
): { state: MembershipState; log: LogEntry[] } {
  let state = emptyMembership(room);
  const log: LogEntry[] = [];
  const push = (entry: Uint8Array) => {
    state = applied(state, entry, log.length);
    log.push({ entry, afterSeq: log.length });
  };
  push(entryOn(state, 'create', starter, starter));
  for (const other of others) push(entryOn(state, 'add', starter, other));
  return { state, log };
}

import { SIGN_DOMAIN } from '../protocol/domains';
import type { ErrorCode } from '../protocol/errors';
import type { LogEntry } from '../protocol/frames';
import { bytesEqual, toHex } from '../protocol/hex';
import { MAX_MEMBERSHIP_ENTRIES } from '../protocol/limits';
import {
  decodeMembershipEntry,
  MEMBERSHIP_HASH_BYTES,
  type MembershipEntry,
  type MembershipKind,
} from '../protocol/membership';
import { withDomain } from '../protocol/signedPayloads';

/**
 * The membership log of a room, folded into who belongs, who manages it and which key epoch it is in.
 *
 * Pure: no I/O, no libsodium import (the two primitives it needs come in as `MembershipCrypto`), so the relay runs
 * the very same rules when it accepts a change as every device does when it reads the log. Each entry names the
 * hash of the one before it, so the log is one chain from the starter's `create`: an entry that does not extend the
 * head (a replay, or a fork made offline) is refused, and the author rebases their change on the new head.
 */

export interface MembershipCrypto {
  /** True only if `signature` is `publicKey`'s Ed25519 signature over exactly `message`. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  sha256(bytes: Uint8Array): Uint8Array;
}

/** One accepted change, in log order. Keys are hex identity signing keys. */
export interface MembershipChange {
  index: number;
  kind: MembershipKind;
  author: string;
  subject: string;
  subjectBox: Uint8Array;
  at: number;
  /** The relay's head seq when it accepted the change (0 when not known, e.g. before the relay has it). */
  afterSeq: number;
  /** SHA-256 of the entry's bytes: the next entry's `prev`. */
  hash: Uint8Array;
  bytes: Uint8Array;
  /** Who managed the room once this change applied. */
  managerAfter: string;
}

export interface MembershipState {
  room: string;
  /** Entries applied; the next entry's index. */
  length: number;
  /** Hash of the last entry (32 zero bytes while empty): the next entry's `prev`. */
  head: Uint8Array;
  manager: string | null;
  /** Current members: identity key -> box public key. */
  members: ReadonlyMap<string, Uint8Array>;
  /**
   * The room key epoch: 0 at `create`, one more for every change of who belongs (add, remove, leave), so a key made
   * after someone left never reaches them, and one made after someone joined carries the history to them.
   */
  epoch: number;
  changes: readonly MembershipChange[];
  /** Members who left or were removed and have not been added back. */
  departed: ReadonlyMap<string, 'left' | 'removed'>;
}

export type MembershipRejection =
  | 'malformed'
  | 'wrong_room'
  | 'bad_signature'
  | 'stale'
  | 'not_creator'
  | 'not_manager'
  | 'not_the_leaver'
  | 'manager_cannot_leave'
  | 'cannot_remove_manager'
  | 'already_member'
  | 'not_a_member'
  | 'wrong_subject_key'
  | 'log_full';

export type ApplyResult =
  | { ok: true; state: MembershipState; change: MembershipChange }
  | { ok: false; reason: MembershipRejection; message: string };

const ZERO_HASH = new Uint8Array(MEMBERSHIP_HASH_BYTES);

/** The state of a room with no membership log yet (a room from before logs, or one being started). */
export function emptyMembership(room: string): MembershipState {
  return {
    room,
    length: 0,
    head: ZERO_HASH,
    manager: null,
    members: new Map(),
    epoch: 0,
    changes: [],
    departed: new Map(),
  };
}

/** The bytes an entry's signature covers, with its domain. */
export function membershipSignedBytes(body: Uint8Array): Uint8Array {
  return withDomain(SIGN_DOMAIN.membership, body);
}

/**
 * Apply one entry to `state` without changing it. `creator`, when known, is the only identity whose `create` is
 * accepted (the relay knows who created the room; an invited device knows the inviter from the link).
 */
export function applyMembershipEntry(
  state: MembershipState,
  bytes: Uint8Array,
  afterSeq: number,
  crypto: MembershipCrypto,
  creator?: Uint8Array,
): ApplyResult {
  let decoded;
  try {
    decoded = decodeMembershipEntry(bytes);
  } catch (error) {
    return refuse('malformed', `the entry does not decode: ${(error as Error).message}`);
  }
  const { entry, body } = decoded;
  if (toHex(entry.room) !== state.room) return refuse('wrong_room', 'the entry is for another room');
  if (!crypto.verify(entry.signature, membershipSignedBytes(body), entry.author)) {
    return refuse('bad_signature', 'the entry is not signed by its author');
  }
  if (entry.index !== state.length || !bytesEqual(entry.prev, state.head)) {
    return refuse('stale', `the entry does not extend the log: expected index ${state.length}`);
  }
  if (state.length >= MAX_MEMBERSHIP_ENTRIES) {
    return refuse('log_full', `a room's log holds at most ${MAX_MEMBERSHIP_ENTRIES} entries`);
  }
  const broken = ruleBroken(state, entry, creator);
  if (broken) return { ok: false, ...broken };
  return applyValid(state, entry, bytes, afterSeq, crypto);
}

function ruleBroken(
  state: MembershipState,
  entry: MembershipEntry,
  creator: Uint8Array | undefined,
): { reason: MembershipRejection; message: string } | null {
  const author = toHex(entry.author);
  const subject = toHex(entry.subjectSign);
  const isMember = state.members.has(subject);
  if (entry.kind === 'create') {
    if (state.length !== 0)
      return { reason: 'not_creator', message: 'a log has one create, its first entry' };
    if (author !== subject || (creator && !bytesEqual(creator, entry.author))) {
      return { reason: 'not_creator', message: 'only the room creator starts its log, as its first member' };
    }
    return null;
  }
  if (state.length === 0) return { reason: 'not_creator', message: 'a log starts with create' };
  if (entry.kind === 'leave') {
    if (author !== subject) return { reason: 'not_the_leaver', message: 'only a member can say they leave' };
    if (!isMember) return { reason: 'not_a_member', message: 'someone who is not a member cannot leave' };
    if (subject === state.manager) {
      return { reason: 'manager_cannot_leave', message: 'the manager hands over the role before leaving' };
    }
    return null;
  }
  if (author !== state.manager) {
    return { reason: 'not_manager', message: 'only the manager adds, removes or hands over' };
  }
  if (entry.kind === 'add') {
    return isMember ? { reason: 'already_member', message: 'this person is already a member' } : null;
  }
  if (!isMember) return { reason: 'not_a_member', message: 'this person is not a member' };
  if (!bytesEqual(state.members.get(subject)!, entry.subjectBox)) {
    return { reason: 'wrong_subject_key', message: 'the entry names another box key for this member' };
  }
  if (subject === state.manager) {
    return entry.kind === 'remove'
      ? { reason: 'cannot_remove_manager', message: 'the manager cannot be removed' }
      : { reason: 'already_member', message: 'this person already manages the room' };
  }
  return null;
}

function applyValid(
  state: MembershipState,
  entry: MembershipEntry,
  bytes: Uint8Array,
  afterSeq: number,
  crypto: MembershipCrypto,
): ApplyResult {
  const members = new Map(state.members);
  const departed = new Map(state.departed);
  const subject = toHex(entry.subjectSign);
  let manager = state.manager;
  let epoch = state.epoch;
  switch (entry.kind) {
    case 'create':
      members.set(subject, entry.subjectBox);
      manager = subject;
      break;
    case 'add':
      members.set(subject, entry.subjectBox);
      departed.delete(subject);
      epoch++;
      break;
    case 'remove':
    case 'leave':
      members.delete(subject);
      departed.set(subject, entry.kind === 'leave' ? 'left' : 'removed');
      epoch++;
      break;
    case 'handover':
      manager = subject;
      break;
  }
  const hash = crypto.sha256(bytes);
  const change: MembershipChange = {
    index: entry.index,
    kind: entry.kind,
    author: toHex(entry.author),
    subject,
    subjectBox: entry.subjectBox,
    at: entry.at,
    afterSeq,
    hash,
    bytes,
    managerAfter: manager!,
  };
  return {
    ok: true,
    change,
    state: {
      room: state.room,
      length: state.length + 1,
      head: hash,
      manager,
      members,
      epoch,
      changes: [...state.changes, change],
      departed,
    },
  };
}

/**
 * Fold a whole log. It stops at the first entry that breaks a rule: every later entry names it (through `prev`),
 * so nothing after it can be part of the chain. `problem` says what was refused.
 */
export function foldMembership(
  room: string,
  entries: readonly LogEntry[],
  crypto: MembershipCrypto,
  creator?: Uint8Array,
): FoldResult {
  return extendMembership(emptyMembership(room), entries, crypto, creator);
}

export interface FoldResult {
  state: MembershipState;
  problem: { index: number; reason: MembershipRejection; message: string } | null;
}

/** Apply `entries`, the log's next ones, to `state`; stops at the first refused, as `foldMembership` does. */
export function extendMembership(
  from: MembershipState,
  entries: readonly LogEntry[],
  crypto: MembershipCrypto,
  creator?: Uint8Array,
): FoldResult {
  let state = from;
  for (const logged of entries) {
    const result = applyMembershipEntry(state, logged.entry, logged.afterSeq, crypto, creator);
    if (!result.ok) {
      return { state, problem: { index: state.length, reason: result.reason, message: result.message } };
    }
    state = result.state;
  }
  return { state, problem: null };
}

/** Who managed the room right after the first `length` entries (null before `create`). */
export function managerAt(state: MembershipState, length: number): string | null {
  if (length <= 0) return null;
  return state.changes[Math.min(length, state.changes.length) - 1]?.managerAfter ?? null;
}

/**
 * The members while the room was in `epoch` (a key bundle for that epoch is sealed to them, by one of them). Members
 * change only with the epoch, so this is the member list right after the change that began it.
 */
export function membersAtEpoch(state: MembershipState, epoch: number): Set<string> {
  const members = new Set<string>();
  let current = -1;
  for (const change of state.changes) {
    if (change.kind === 'create') current = 0;
    if (change.kind === 'add' || change.kind === 'remove' || change.kind === 'leave') current++;
    if (change.kind === 'create' || change.kind === 'add') members.add(change.subject);
    if (change.kind === 'remove' || change.kind === 'leave') members.delete(change.subject);
    if (current === epoch) return new Set(members);
  }
  return new Set();
}

/**
 * Whether an envelope at `seq` by `identity` was written while it belonged. Someone who left or was removed had their
 * appends refused by the relay from the change on (`afterSeq`), until added back; a relay that delivers one anyway is
 * caught here. Identities the log never names are not judged here (members of a room from before logs, admitted by
 * invite): `unknown`.
 */
export function memberStanding(
  state: MembershipState,
  identity: string,
  seq: number,
): 'member' | 'not_a_member' | 'unknown' {
  let named = false;
  let outFrom: number | null = null;
  let standing: 'member' | 'not_a_member' = 'member';
  for (const change of state.changes) {
    if (change.subject !== identity) continue;
    named = true;
    if (change.kind === 'remove' || change.kind === 'leave') outFrom = change.afterSeq;
    if (change.kind === 'add' && outFrom !== null) {
      if (seq > outFrom && seq <= change.afterSeq) standing = 'not_a_member';
      outFrom = null;
    }
  }
  if (!named) return 'unknown';
  if (outFrom !== null && seq > outFrom) return 'not_a_member';
  return standing;
}

/**
 * The relay's judgement of a MEMBERSHIP_CHANGE from a socket acting for `sender` (its identity and device keys).
 * Changes are made with the identity's own key, so a linked device cannot make them (like invites and device links).
 */
export function judgeMembershipChange(
  state: MembershipState,
  bytes: Uint8Array,
  sender: { identity: Uint8Array; device: Uint8Array },
  afterSeq: number,
  crypto: MembershipCrypto,
  creator?: Uint8Array,
):
  | { ok: true; state: MembershipState; change: MembershipChange }
  | { ok: false; code: ErrorCode; message: string } {
  let entry: MembershipEntry;
  try {
    entry = decodeMembershipEntry(bytes).entry;
  } catch (error) {
    return { ok: false, code: 'malformed_frame', message: (error as Error).message };
  }
  const result = applyMembershipEntry(state, bytes, afterSeq, crypto, creator);
  if (!result.ok && (result.reason === 'malformed' || result.reason === 'bad_signature')) {
    return {
      ok: false,
      code: result.reason === 'malformed' ? 'malformed_frame' : 'bad_signature',
      message: result.message,
    };
  }
  if (!bytesEqual(entry.author, sender.identity) || !bytesEqual(sender.device, sender.identity)) {
    return {
      ok: false,
      code: 'membership_forbidden',
      message:
        "membership changes are signed with the author's own identity key, on the account's first device",
    };
  }
  if (!result.ok) {
    return {
      ok: false,
      code: result.reason === 'stale' ? 'membership_stale' : 'membership_forbidden',
      message: result.message,
    };
  }
  return result;
}

function refuse(reason: MembershipRejection, message: string): ApplyResult {
  return { ok: false, reason, message };
}

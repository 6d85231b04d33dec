import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady, randomBytes } from '$lib/crypto';
import { toHex } from '$lib/protocol/hex';
import {
  applyMembershipEntry,
  emptyMembership,
  extendMembership,
  foldMembership,
  judgeMembershipChange,
  managerAt,
  membersAtEpoch,
  memberStanding,
  type MembershipState,
} from '$lib/sync/membership';
import { deviceMembershipCrypto } from '$lib/sync/membershipEntries';
import { applied, entryOn, identity, roomWith, type Identity } from '../support/membershipLog';

const ROOM = toHex(new Uint8Array(16).fill(7));

let ana: Identity;
let ben: Identity;
let cara: Identity;
let mallory: Identity;

beforeAll(async () => {
  await cryptoReady();
  [ana, ben, cara, mallory] = [identity(), identity(), identity(), identity()];
});

function refusal(state: MembershipState, bytes: Uint8Array, creator?: Uint8Array): string {
  const result = applyMembershipEntry(state, bytes, 0, deviceMembershipCrypto, creator);
  if (result.ok) throw new Error('the entry was accepted');
  return result.reason;
}

describe('folding a membership log', () => {
  it('makes the starter the manager, adds members in new epochs, and hands over without one', () => {
    let { state } = roomWith(ROOM, ana, [ben, cara]);
    expect(state.manager).toBe(ana.key);
    expect([...state.members.keys()]).toEqual([ana.key, ben.key, cara.key]);
    expect(state.epoch).toBe(2);

    state = applied(state, entryOn(state, 'handover', ana, ben));
    expect(state.manager).toBe(ben.key);
    expect(state.epoch).toBe(2);
    state = applied(state, entryOn(state, 'leave', ana, ana));
    expect([...state.members.keys()]).toEqual([ben.key, cara.key]);
    expect(state.departed.get(ana.key)).toBe('left');
    expect(state.epoch).toBe(3);
    state = applied(state, entryOn(state, 'remove', ben, cara));
    expect(state.departed.get(cara.key)).toBe('removed');
    expect(state.epoch).toBe(4);
    expect(managerAt(state, 1)).toBe(ana.key);
    expect(managerAt(state, state.length)).toBe(ben.key);
  });

  it('refuses a forged entry: signed by anyone but its author', () => {
    const { state } = roomWith(ROOM, ana, [ben]);
    expect(refusal(state, entryOn(state, 'add', ana, mallory, { signer: mallory }))).toBe('bad_signature');
    expect(refusal(state, entryOn(state, 'remove', ana, ben, { signer: ben }))).toBe('bad_signature');
  });

  it('refuses a replayed entry, an entry of another room, and the second of two made on one head', () => {
    const { state, log } = roomWith(ROOM, ana, [ben]);
    expect(refusal(state, log[1].entry)).toBe('stale');
    const otherRoom = randomBytes(16);
    expect(refusal(state, entryOn(state, 'add', ana, cara, { room: otherRoom }))).toBe('wrong_room');
    // Two changes signed offline on the same head: the relay takes one, the other no longer extends the log.
    const first = entryOn(state, 'add', ana, cara);
    const second = entryOn(state, 'remove', ana, ben);
    const after = applied(state, first);
    expect(refusal(after, second)).toBe('stale');
    expect(refusal(state, entryOn(state, 'add', ana, cara, { prev: new Uint8Array(32) }))).toBe('stale');
  });

  it('refuses changes by anyone but the manager, and leaves for someone else', () => {
    const { state } = roomWith(ROOM, ana, [ben]);
    expect(refusal(state, entryOn(state, 'add', ben, cara))).toBe('not_manager');
    expect(refusal(state, entryOn(state, 'remove', ben, ana))).toBe('not_manager');
    expect(refusal(state, entryOn(state, 'handover', ben, ben))).toBe('not_manager');
    expect(refusal(state, entryOn(state, 'add', mallory, mallory))).toBe('not_manager');
    expect(refusal(state, entryOn(state, 'leave', ana, ben))).toBe('not_the_leaver');
  });

  it('keeps the manager in: no leaving, no removal; hand over first', () => {
    let { state } = roomWith(ROOM, ana, [ben]);
    expect(refusal(state, entryOn(state, 'leave', ana, ana))).toBe('manager_cannot_leave');
    expect(refusal(state, entryOn(state, 'remove', ana, ana))).toBe('cannot_remove_manager');
    state = applied(state, entryOn(state, 'handover', ana, ben));
    expect(refusal(state, entryOn(state, 'add', ana, cara))).toBe('not_manager');
    state = applied(state, entryOn(state, 'leave', ana, ana));
    expect(state.members.has(ana.key)).toBe(false);
  });

  it('refuses adding a member twice, and removing or leaving for someone who is not a member', () => {
    let { state } = roomWith(ROOM, ana, [ben]);
    expect(refusal(state, entryOn(state, 'add', ana, ben))).toBe('already_member');
    expect(refusal(state, entryOn(state, 'remove', ana, cara))).toBe('not_a_member');
    expect(refusal(state, entryOn(state, 'leave', cara, cara))).toBe('not_a_member');
    expect(refusal(state, entryOn(state, 'handover', ana, cara))).toBe('not_a_member');
    state = applied(state, entryOn(state, 'remove', ana, ben));
    expect(refusal(state, entryOn(state, 'leave', ben, ben))).toBe('not_a_member');
    state = applied(state, entryOn(state, 'add', ana, ben));
    expect(state.departed.has(ben.key)).toBe(false);
  });

  it('starts only with create, once, by the creator the device knows', () => {
    const empty = emptyMembership(ROOM);
    expect(refusal(empty, entryOn(empty, 'add', ana, ben))).toBe('not_creator');
    expect(refusal(empty, entryOn(empty, 'create', ana, ben))).toBe('not_creator');
    expect(refusal(empty, entryOn(empty, 'create', mallory, mallory), ana.signPublic)).toBe('not_creator');
    const { state } = roomWith(ROOM, ana);
    expect(refusal(state, entryOn(state, 'create', ana, ana))).toBe('not_creator');
  });

  it('reaches the same state by extending a folded prefix as by folding the whole log', () => {
    const { log } = roomWith(ROOM, ana, [ben, cara]);
    const whole = foldMembership(ROOM, log, deviceMembershipCrypto).state;
    const prefix = foldMembership(ROOM, log.slice(0, 2), deviceMembershipCrypto).state;
    const extended = extendMembership(prefix, log.slice(2), deviceMembershipCrypto);
    expect(extended.problem).toBeNull();
    expect(toHex(extended.state.head)).toBe(toHex(whole.head));
    expect(extended.state.epoch).toBe(whole.epoch);
    const forged = entryOn(whole, 'remove', ana, ben, { signer: mallory });
    expect(
      extendMembership(whole, [{ entry: forged, afterSeq: 9 }], deviceMembershipCrypto).problem,
    ).toMatchObject({
      index: 3,
      reason: 'bad_signature',
    });
  });

  it('stops at the first entry it refuses: nothing after it is part of the chain', () => {
    const { log } = roomWith(ROOM, ana, [ben, cara]);
    const tampered = log.map((l) => ({ ...l, entry: l.entry.slice() }));
    tampered[1].entry[tampered[1].entry.length - 1] ^= 1;
    const { state, problem } = foldMembership(ROOM, tampered, deviceMembershipCrypto);
    expect(problem).toMatchObject({ index: 1, reason: 'bad_signature' });
    expect(state.length).toBe(1);
    expect(foldMembership(ROOM, log, deviceMembershipCrypto).problem).toBeNull();
  });

  it('says who belonged in each epoch, and refuses what a departed member wrote after leaving', () => {
    let { state } = roomWith(ROOM, ana, [ben]);
    state = applied(state, entryOn(state, 'remove', ana, ben), 40);
    state = applied(state, entryOn(state, 'add', ana, ben), 90);
    expect([...membersAtEpoch(state, 1)].sort()).toEqual([ana.key, ben.key].sort());
    expect([...membersAtEpoch(state, 2)]).toEqual([ana.key]);
    expect(memberStanding(state, ben.key, 40)).toBe('member');
    expect(memberStanding(state, ben.key, 41)).toBe('not_a_member');
    expect(memberStanding(state, ben.key, 90)).toBe('not_a_member');
    expect(memberStanding(state, ben.key, 91)).toBe('member');
    expect(memberStanding(state, cara.key, 5)).toBe('unknown');
  });
});

describe("the relay's judgement of a change", () => {
  const sender = (who: Identity, device: Identity = who) => ({
    identity: who.signPublic,
    device: device.signPublic,
  });

  it('accepts the manager’s change signed on the head', () => {
    const { state } = roomWith(ROOM, ana, [ben]);
    const judged = judgeMembershipChange(
      state,
      entryOn(state, 'add', ana, cara),
      sender(ana),
      0,
      deviceMembershipCrypto,
    );
    expect(judged.ok).toBe(true);
  });

  it('answers a forgery bad_signature, a replay membership_stale and a non-manager membership_forbidden', () => {
    const { state, log } = roomWith(ROOM, ana, [ben]);
    const judge = (bytes: Uint8Array, from = sender(ana)) =>
      judgeMembershipChange(state, bytes, from, 0, deviceMembershipCrypto);
    expect(judge(entryOn(state, 'add', ana, cara, { signer: mallory }))).toMatchObject({
      code: 'bad_signature',
    });
    expect(judge(log[1].entry)).toMatchObject({ code: 'membership_stale' });
    expect(judge(entryOn(state, 'add', ben, cara), sender(ben))).toMatchObject({
      code: 'membership_forbidden',
    });
    expect(judge(entryOn(state, 'leave', ana, ana))).toMatchObject({ code: 'membership_forbidden' });
    expect(judge(new Uint8Array([1, 2, 3]))).toMatchObject({ code: 'malformed_frame' });
  });

  it('refuses a change sent for someone else, or from a linked device', () => {
    const { state } = roomWith(ROOM, ana, [ben]);
    const entry = entryOn(state, 'add', ana, cara);
    const laptop = identity();
    expect(judgeMembershipChange(state, entry, sender(ben), 0, deviceMembershipCrypto)).toMatchObject({
      code: 'membership_forbidden',
    });
    expect(judgeMembershipChange(state, entry, sender(ana, laptop), 0, deviceMembershipCrypto)).toMatchObject(
      {
        code: 'membership_forbidden',
      },
    );
  });
});

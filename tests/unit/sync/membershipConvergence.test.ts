import * as Y from 'yjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '$lib/crypto';
import { topicOf } from '$lib/model/membershipView';
import type { LogEntry } from '$lib/protocol/frames';
import { fromHex, toHex } from '$lib/protocol/hex';
import type { MembershipKind } from '$lib/protocol/membership';
import { foldMembership, judgeMembershipChange, type MembershipState } from '$lib/sync/membership';
import { deviceMembershipCrypto, signMembershipEntry } from '$lib/sync/membershipEntries';
import { identity, type Identity } from '../support/membershipLog';
import { randomInt, seededRandom } from '../support/prng';

// Random offline interleavings of membership changes and topic changes from several people's devices. Each device
// queues changes while offline and, when it reconnects, reads the relay's log, signs its changes on the head it knows
// and sends them, interleaved with other devices reconnecting at the same time; the relay judges each with the very
// code it runs (`judgeMembershipChange`), and a change that lost a race is signed again on the new head. Topics are
// written into each device's own Yjs document and merged on exchange. After everyone has exchanged, every device must
// fold the same log into the same state and show the same topic.

const SEEDS = 120;
const STEPS = 40;
const ROOM = new Uint8Array(16).fill(9);
const ROOM_HEX = toHex(ROOM);

interface Intent {
  kind: MembershipKind;
  subject: Identity;
  at: number;
}

interface Replica {
  who: Identity;
  log: LogEntry[];
  pending: Intent[];
  doc: Y.Doc;
  /** Changes refused for good (the log no longer allowed them), as a device shows them. */
  refused: number;
  /** Times a change had to be signed again because the log had moved on. */
  stale: number;
}

/** The relay: the one log, and a document holding every update it was sent (it cannot read them; we can). */
class Relay {
  log: LogEntry[] = [];
  doc = new Y.Doc();
  headSeq = 0;

  state(): MembershipState {
    return foldMembership(ROOM_HEX, this.log, deviceMembershipCrypto).state;
  }

  /** What the relay answers a change: accepted, or the error code. */
  change(sender: Identity, bytes: Uint8Array): 'accepted' | string {
    const judged = judgeMembershipChange(
      this.state(),
      bytes,
      { identity: sender.signPublic, device: sender.signPublic },
      this.headSeq,
      deviceMembershipCrypto,
    );
    if (!judged.ok) return judged.code;
    this.log.push({ entry: bytes, afterSeq: this.headSeq });
    return 'accepted';
  }
}

function stateOf(log: LogEntry[]): MembershipState {
  const { state, problem } = foldMembership(ROOM_HEX, log, deviceMembershipCrypto);
  expect(problem).toBeNull();
  return state;
}

/** Sign the first queued change on the head this device knows, and send it; false when the queue is empty. */
function sendOne(replica: Replica, relay: Relay): boolean {
  const intent = replica.pending[0];
  if (!intent) return false;
  const state = stateOf(replica.log);
  const bytes = signMembershipEntry(
    {
      room: ROOM,
      index: state.length,
      prev: state.head,
      kind: intent.kind,
      subjectSign: intent.subject.signPublic,
      subjectBox: intent.subject.boxPublic,
      author: replica.who.signPublic,
      at: intent.at,
    },
    replica.who.signSecret,
  );
  const answer = relay.change(replica.who, bytes);
  // Stale: another device's change got there first. Read the new log; the change is signed again on its head.
  if (answer === 'membership_stale') replica.stale++;
  else {
    if (answer !== 'accepted') replica.refused++;
    replica.pending.shift();
  }
  replica.log = [...relay.log];
  return true;
}

/** Documents: each side gets what the other has. */
function exchangeDocs(replica: Replica, relay: Relay): void {
  Y.applyUpdate(relay.doc, Y.encodeStateAsUpdate(replica.doc, Y.encodeStateVector(relay.doc)));
  Y.applyUpdate(replica.doc, Y.encodeStateAsUpdate(relay.doc, Y.encodeStateVector(replica.doc)));
}

/**
 * Devices reconnect together: each reads the relay's log, then they send their queued changes interleaved in a random
 * order (so changes signed on one head race), then exchange documents.
 */
function reconnect(together: Replica[], relay: Relay, random: () => number): void {
  for (const replica of together) replica.log = [...relay.log];
  let busy = together.filter((r) => r.pending.length > 0);
  while (busy.length > 0) {
    sendOne(busy[randomInt(random, busy.length)], relay);
    busy = busy.filter((r) => r.pending.length > 0);
  }
  // While online they also hear every entry the others' changes added (MEMBERSHIP_LOG, live).
  for (const replica of together) {
    replica.log = [...relay.log];
    exchangeDocs(replica, relay);
  }
}

const KINDS: MembershipKind[] = ['add', 'remove', 'leave', 'handover'];

function run(seed: number, people: Identity[]): { replicas: Replica[]; relay: Relay } {
  const random = seededRandom(seed);
  const relay = new Relay();
  const [starter] = people;
  const replicas: Replica[] = people.map((who, i) => {
    const doc = new Y.Doc();
    doc.clientID = seed * 10 + i + 1;
    return { who, log: [], pending: [], doc, refused: 0, stale: 0 };
  });
  // The starter begins the log and adds one other person; the rest join (or not) through random changes.
  replicas[0].pending.push({ kind: 'create', subject: starter, at: 1 });
  replicas[0].pending.push({ kind: 'add', subject: people[1], at: 2 });
  reconnect([replicas[0]], relay, random);
  let clock = 10;
  for (let step = 0; step < STEPS; step++) {
    const replica = replicas[randomInt(random, replicas.length)];
    const action = random();
    clock += 1 + randomInt(random, 5);
    if (action < 0.45) {
      // An offline change, judged against nothing yet: it may turn out not to be allowed once the log is read.
      const kind = KINDS[randomInt(random, KINDS.length)];
      const subject = kind === 'leave' ? replica.who : people[randomInt(random, people.length)];
      replica.pending.push({ kind, subject, at: clock });
    } else if (action < 0.7) {
      // An offline topic change, written by anyone (only the manager's at the head it saw count).
      const index = stateOf(replica.log).length;
      if (index > 0) {
        const topic = `topic ${seed}.${step}`;
        replica.doc.getArray('topics').push([{ topic, by: replica.who.key, at: clock, index }]);
      }
    } else {
      const others = replicas.filter((r) => r !== replica && random() < 0.5);
      reconnect([replica, ...others], relay, random);
    }
  }
  // Everyone comes back online, until nothing is left to send and every document has everything.
  reconnect(replicas, relay, random);
  for (const replica of replicas) exchangeDocs(replica, relay);
  return { replicas, relay };
}

let people: Identity[];

beforeAll(async () => {
  await cryptoReady();
  people = [identity(), identity(), identity(), identity()];
});

describe('membership and topic changes made offline, in any order', () => {
  it(`converge to one state and one topic on every device (${SEEDS} seeds)`, () => {
    let refusedSomewhere = 0;
    let staleSomewhere = 0;
    let handedOver = 0;
    let withTopic = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { replicas, relay } = run(seed, people);
      const expected = stateOf(relay.log);
      const expectedTopic = topicOf(relay.doc.getArray('topics').toArray(), expected)?.topic ?? null;
      if (expectedTopic !== null) withTopic++;
      // The manager is always a member, and the log never refuses itself.
      expect(expected.members.has(expected.manager!)).toBe(true);
      if (expected.manager !== people[0].key) handedOver++;
      for (const replica of replicas) {
        const state = stateOf(replica.log);
        expect({ seed, head: toHex(state.head), length: state.length }).toEqual({
          seed,
          head: toHex(expected.head),
          length: expected.length,
        });
        expect(state.manager).toBe(expected.manager);
        expect([...state.members.keys()].sort()).toEqual([...expected.members.keys()].sort());
        expect(state.epoch).toBe(expected.epoch);
        const topic = topicOf(replica.doc.getArray('topics').toArray(), state)?.topic ?? null;
        expect({ seed, topic }).toEqual({ seed, topic: expectedTopic });
        refusedSomewhere += replica.refused;
        staleSomewhere += replica.stale;
      }
      // Every topic that counts was written by whoever managed the room at the head its writer saw.
      for (const value of relay.doc.getArray('topics').toArray()) {
        const entry = value as { by: string; index: number };
        const counted = topicOf([value], expected);
        if (counted) expect(expected.changes[entry.index - 1].managerAfter).toBe(entry.by);
      }
      expect(fromHex(expected.room)).toEqual(ROOM);
    }
    // The interleavings did exercise races (stale, then rebased), refused changes and handovers.
    expect(staleSomewhere).toBeGreaterThan(0);
    expect(refusedSomewhere).toBeGreaterThan(0);
    expect(handedOver).toBeGreaterThan(0);
    expect(withTopic).toBeGreaterThan(SEEDS / 2);
  });
});

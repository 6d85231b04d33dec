import { managerAt, type MembershipState, type PendingChange } from '../sync';
import { TopicEntry, type PersonEntry } from './schemas';

/** A participant as the conversation shows them. */
export interface Participant {
  /** Their identity signing key (hex). */
  key: string;
  /** What this person sees them as: their contact name, else the name (or nickname) they gave the conversation. */
  name: string;
  role: 'therapist' | 'client';
  isManager: boolean;
  isMe: boolean;
  /** One of this person's contacts (they can add them elsewhere, and see their own name). */
  isContact: boolean;
  /** The nickname they take part under here, when they chose one. */
  nickname?: string;
}

/** What a view needs to name people: this person's contacts, and the conversation's `people` entries. */
export interface NameSources {
  me: string;
  myName: string;
  contact(key: string): { name: string; role: 'therapist' | 'client' } | undefined;
  people: Map<string, PersonEntry>;
}

/**
 * The name to show for `key`. A contact is shown by the name this person knows them by (a nickname beside it); anyone
 * else by what they introduced themselves as, which is their nickname when they chose one.
 */
export function nameOf(sources: NameSources, key: string): string {
  if (key === sources.me) return 'You';
  return sources.contact(key)?.name ?? sources.people.get(key)?.name ?? 'Someone';
}

export function participantOf(sources: NameSources, key: string, manager: string | null): Participant {
  const person = sources.people.get(key);
  const contact = sources.contact(key);
  const isMe = key === sources.me;
  return {
    key,
    name: isMe ? sources.myName : (contact?.name ?? person?.name ?? 'Someone'),
    role: person?.role ?? contact?.role ?? 'client',
    isManager: key === manager,
    isMe,
    isContact: contact !== undefined,
    ...(person?.nickname ? { nickname: person.name } : {}),
  };
}

/**
 * The topic: the last change (by log position, then time, then author, so every device picks the same one) made by
 * whoever managed the room at the log head its writer saw. Changes by anyone else never count.
 */
export function topicOf(entries: unknown[], state: MembershipState): TopicEntry | null {
  let best: TopicEntry | null = null;
  for (const value of entries) {
    const parsed = TopicEntry.safeParse(value);
    if (!parsed.success) continue;
    const entry = parsed.data;
    if (entry.index > state.length || managerAt(state, entry.index) !== entry.by) continue;
    if (!best || compareTopics(entry, best) > 0) best = entry;
  }
  return best;
}

function compareTopics(a: TopicEntry, b: TopicEntry): number {
  return a.index - b.index || a.at - b.at || a.by.localeCompare(b.by) || a.topic.localeCompare(b.topic);
}

/** Every topic change that counts, oldest first (for the conversation's event lines). */
export function topicChanges(entries: unknown[], state: MembershipState): TopicEntry[] {
  const out: TopicEntry[] = [];
  for (const value of entries) {
    const parsed = TopicEntry.safeParse(value);
    if (parsed.success && managerAt(state, parsed.data.index) === parsed.data.by) out.push(parsed.data);
  }
  return out.sort(compareTopics);
}

/** An event line for a membership change, in words ("Ana added Ben"). */
export function membershipLine(
  kind: PendingChange['kind'],
  author: string,
  subject: string,
  name: (key: string) => string,
): string {
  const who = name(author);
  const named = name(subject);
  // "You" starts a sentence; as its object it is "you" ("Ana made you the manager").
  const whom =
    subject === author ? (who === 'You' ? 'yourself' : 'themselves') : named === 'You' ? 'you' : named;
  switch (kind) {
    case 'create':
      return `${who} started this conversation`;
    case 'add':
      return `${who} added ${whom}`;
    case 'remove':
      return `${who} removed ${whom}`;
    case 'leave':
      return `${who} left`;
    case 'handover':
      return `${who} made ${whom} the manager`;
  }
}

/** A refused membership change of this person's, in words ("Could not add Ben: this person is already a member"). */
export function problemLine(
  kind: PendingChange['kind'],
  subject: string,
  reason: string,
  name: (key: string) => string,
): string {
  const whom = name(subject);
  const what = {
    create: "start this conversation's member list",
    add: `add ${whom}`,
    remove: `remove ${whom}`,
    leave: 'leave',
    handover: `make ${whom} the manager`,
  }[kind];
  return `Could not ${what}: ${reason}`;
}

import type * as Y from 'yjs';
import { z } from 'zod';
import { DOC_ROOT } from '../protocol/documentRoots';
import { isOpen, lastClosing, nextOpening } from './officeHours';
import { HexKey, Timestamp, type MessageEntry, type PersonEntry } from './schemas';
import { dateKey, localTime } from './zonedTime';

/**
 * The away message: when a client writes outside a therapist's office hours, the therapist's device answers once
 * with the message they set, at most once per conversation per calendar day in the therapist's zone.
 *
 * Dedupe across the therapist's devices: the document's map `away` holds, by day (`YYYY-MM-DD`), the away message sent
 * that day. A device checks it and writes it in the same transaction as the message, after it has caught up. Two
 * devices that still raced both write the day's key; Yjs keeps one value for it on every device, and only the message
 * that value names is shown (`shownAway`).
 */
export const AWAY_MAP = DOC_ROOT.away;

const AwayEntry = z.object({
  id: z.string().min(8).max(64),
  by: HexKey,
  at: Timestamp,
});
export type AwayEntry = z.infer<typeof AwayEntry>;

const DAY_KEY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The away messages the `away` map names, by day. Anyone in the room can write the map, so an entry counts only under
 * a `YYYY-MM-DD` key, written by a therapist, and naming an automatic message of theirs that is in the conversation: a
 * client who filled in today's key (to keep the away message from going out) or pointed it at a message of their own
 * is ignored.
 */
function namedAway(
  away: Y.Map<unknown>,
  entries: MessageEntry[],
  people: Map<string, PersonEntry>,
): Map<string, MessageEntry> {
  const automatic = new Map(entries.filter((e) => e.auto === 'away').map((e) => [e.id, e]));
  const out = new Map<string, MessageEntry>();
  away.forEach((value, day) => {
    const parsed = AwayEntry.safeParse(value);
    if (!DAY_KEY.test(day) || !parsed.success) return;
    const { id, by } = parsed.data;
    const message = automatic.get(id);
    if (message?.by === by && people.get(by)?.role === 'therapist') out.set(day, message);
  });
  return out;
}

export interface AwayReplyInput {
  /** This person's identity key (hex). */
  me: string;
  people: Map<string, PersonEntry>;
  /** The conversation's messages, in order. */
  entries: MessageEntry[];
  away: Y.Map<unknown>;
  /** The messaging session running now, if one is (`runningSession`): the therapist is there to answer. */
  running: { at: number; minutes: number } | null;
  now: number;
}

/**
 * The away message due now, and the day it is for, or null. Due when this person is a therapist with an away message,
 * the latest message is a client's, and both it and now fall in the same closed stretch (no opening between them: a
 * message that waited through office hours gets a reply, not an away message), and none went out today. Not due while
 * a messaging session runs, nor once the therapist has written in person since the office closed: they are there,
 * and "I am away" would contradict them.
 */
export function awayReplyDue(input: AwayReplyInput): { day: string; text: string } | null {
  const { me, people, entries, away, running, now } = input;
  const self = people.get(me);
  const hours = self?.role === 'therapist' ? self.hours : undefined;
  if (!hours || hours.awayMessage.length === 0 || running) return null;
  const last = entries.at(-1);
  if (!last || last.by === me || people.get(last.by)?.role !== 'client') return null;
  if (isOpen(hours, now) || nextOpening(hours, last.at) <= now) return null;
  const closed = lastClosing(hours, now);
  if (entries.some((e) => e.by === me && !e.auto && e.at >= closed)) return null;
  const day = dateKey(localTime(now, hours.timeZone));
  // Today's entry stands only for an away message this therapist wrote today, not an old one a key was pointed at.
  const sent = namedAway(away, entries, people).get(day);
  if (sent?.by === me && dateKey(localTime(sent.at, hours.timeZone)) === day) return null;
  return { day, text: hours.awayMessage };
}

/** The ids of the away messages to show: the one the `away` map names for each day (see `namedAway`). */
export function shownAway(
  away: Y.Map<unknown>,
  entries: MessageEntry[],
  people: Map<string, PersonEntry>,
): Set<string> {
  return new Set([...namedAway(away, entries, people).values()].map((m) => m.id));
}

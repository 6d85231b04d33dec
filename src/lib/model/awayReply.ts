import type * as Y from 'yjs';
import { z } from 'zod';
import { isOpen, nextOpening } from './officeHours';
import { Timestamp, type MessageEntry, type PersonEntry } from './schemas';
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
export const AWAY_MAP = 'away';

const AwayEntry = z.object({
  id: z.string().min(8).max(64),
  by: z.string().regex(/^[0-9a-f]{64}$/),
  at: Timestamp,
});
export type AwayEntry = z.infer<typeof AwayEntry>;

export interface AwayReplyInput {
  /** This person's identity key (hex). */
  me: string;
  people: Map<string, PersonEntry>;
  /** The conversation's messages, in order. */
  entries: MessageEntry[];
  away: Y.Map<unknown>;
  now: number;
}

/**
 * The away message due now, and the day it is for, or null. Due when this person is a therapist with an away message,
 * the latest message is a client's, and both it and now fall in the same closed stretch (no opening between them: a
 * message that waited through office hours gets a reply, not an away message), and none went out today.
 */
export function awayReplyDue(input: AwayReplyInput): { day: string; text: string } | null {
  const { me, people, entries, away, now } = input;
  const self = people.get(me);
  const hours = self?.role === 'therapist' ? self.hours : undefined;
  if (!hours || hours.awayMessage.length === 0) return null;
  const last = entries.at(-1);
  if (!last || last.by === me || people.get(last.by)?.role !== 'client') return null;
  if (isOpen(hours, now) || nextOpening(hours, last.at) <= now) return null;
  const day = dateKey(localTime(now, hours.timeZone));
  return away.has(day) ? null : { day, text: hours.awayMessage };
}

/** The ids of the away messages to show: the one the `away` map names for each day. */
export function shownAway(away: Y.Map<unknown>): Set<string> {
  const out = new Set<string>();
  away.forEach((value) => {
    const parsed = AwayEntry.safeParse(value);
    if (parsed.success) out.add(parsed.data.id);
  });
  return out;
}

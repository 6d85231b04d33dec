import { MAX_CLOCK_SKEW_MS, MESSAGING_SESSION_MINUTES } from '../protocol/limits';
import type { AuditView } from './conversation';
import { MessagingSessionEntry } from './schemas';

const MINUTE_MS = 60_000;

/** A messaging session as the conversation shows it. */
export interface MessagingSessionView {
  id: string;
  /** Who started it (identity key, hex), and their name as this person knows them ('You' for themselves). */
  by: string;
  byName: string;
  at: number;
  minutes: number;
  endsAt: number;
}

/** Why a messaging session cannot be started, in words a person can act on. */
export class MessagingSessionError extends Error {
  constructor(
    readonly code: 'already_running' | 'invalid_length' | 'not_a_member',
    message: string,
  ) {
    super(message);
    this.name = 'MessagingSessionError';
  }
}

/** True for a length a messaging session can be started for. */
export function isSessionLength(minutes: number): boolean {
  return (MESSAGING_SESSION_MINUTES as readonly number[]).includes(minutes);
}

/**
 * The sessions that count, oldest first; they never overlap.
 *
 * First, every session in `kept`: those this device counted before (from the room's sealed record). They keep counting
 * here whatever becomes of their entries, so a peer can neither delete one nor push it out with a backdated entry.
 * Then the document's entries in document order: one counts if it parses, `by` may start sessions, it is dated no more
 * than MAX_CLOCK_SKEW_MS after `now` (a far-off one would otherwise run, and block new ones, until its time), it starts
 * no earlier than the end of the last one counted before it in that order, and it overlaps no kept one. Devices that
 * see the same document count the same sessions (two started while apart: the first in document order); a device that
 * counted one of them before the other arrived keeps its own.
 */
export function countedSessions(
  values: unknown[],
  mayStart: (key: string) => boolean,
  now: number,
  kept: readonly MessagingSessionEntry[] = [],
): MessagingSessionEntry[] {
  const counted = new Set(kept.map((entry) => entry.id));
  const out = [...kept];
  let lastEnd = 0;
  for (const value of values) {
    const parsed = MessagingSessionEntry.safeParse(value);
    if (!parsed.success || counted.has(parsed.data.id)) continue;
    const entry = parsed.data;
    if (!mayStart(entry.by) || entry.at > now + MAX_CLOCK_SKEW_MS || entry.at < lastEnd) continue;
    if (kept.some((k) => entry.at < endOf(k) && k.at < endOf(entry))) continue;
    out.push(entry);
    counted.add(entry.id);
    lastEnd = endOf(entry);
  }
  return out.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function endOf(entry: { at: number; minutes: number }): number {
  return entry.at + entry.minutes * MINUTE_MS;
}

/**
 * The session running at `now`, if any (only the latest can be: they never overlap). One dated a little ahead of this
 * device's clock runs once its time comes.
 */
export function runningSession<T extends { at: number; minutes: number }>(
  sessions: T[],
  now: number,
): T | null {
  const last = sessions.at(-1);
  return last && last.at <= now && now < endOf(last) ? last : null;
}

/** Whole minutes left, rounded up (a session with 10 seconds left has "1 minute left"), never more than its length. */
export function minutesLeft(session: { at: number; minutes: number }, now: number): number {
  return Math.min(session.minutes, Math.max(0, Math.ceil((endOf(session) - now) / MINUTE_MS)));
}

/**
 * The conversation's lines for its sessions: one where each started, and one at its end time once that has passed.
 * Derived from the start entry alone, so the end shows even if nobody was online when it came.
 */
export function sessionLines(sessions: MessagingSessionView[], now: number): AuditView[] {
  const out: AuditView[] = [];
  for (const session of sessions) {
    out.push({
      id: `session-start-${session.id}`,
      kind: 'session-start',
      at: session.at,
      text: `${session.byName} started a ${session.minutes}-minute messaging session`,
    });
    if (session.endsAt <= now) {
      out.push({
        id: `session-end-${session.id}`,
        kind: 'session-end',
        at: session.endsAt,
        text: `Messaging session ended (${session.minutes} minutes)`,
      });
    }
  }
  return out;
}

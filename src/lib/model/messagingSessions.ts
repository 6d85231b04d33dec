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
 * The sessions that count, oldest first: entries that parse, started by someone in the conversation, not dated more
 * than MAX_CLOCK_SKEW_MS after `now` (such a one would run, and block new ones, until its far-off time), and not
 * begun while an earlier one was running. Two people who each started one while apart see the same one count
 * (the earlier, by time then id), so every device tells the same story.
 */
export function countedSessions(
  values: unknown[],
  isParticipant: (key: string) => boolean,
  now: number,
): MessagingSessionEntry[] {
  const entries: MessagingSessionEntry[] = [];
  for (const value of values) {
    const parsed = MessagingSessionEntry.safeParse(value);
    if (!parsed.success || parsed.data.at > now + MAX_CLOCK_SKEW_MS) continue;
    if (isParticipant(parsed.data.by)) entries.push(parsed.data);
  }
  entries.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: MessagingSessionEntry[] = [];
  for (const entry of entries) {
    const previous = out.at(-1);
    if (!previous || entry.at >= endOf(previous)) out.push(entry);
  }
  return out;
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

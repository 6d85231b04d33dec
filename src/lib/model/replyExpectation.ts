import type { MessageView } from './conversation';
import { describeHours, describeMoment, describePromise, replyDueBy } from './officeHours';
import type { PersonEntry } from './schemas';
import { deviceTimeZone } from './zonedTime';

/** What a client is told about when their therapist replies. */
export interface ReplyExpectation {
  therapist: string;
  /** The office hours in words ("Mon–Fri 09:00–17:00"), or null when the therapist set none. */
  hours: string | null;
  /** "within 1 working day": from the office hours, or the therapist's own words; '' when neither. */
  promise: string;
  /** The client's messages are waiting for a reply, and by when it is due (office hours only). */
  waiting: {
    dueBy: number;
    /** The due time on the reader's clock, "Tuesday 17:00". */
    due: string;
    /** The reader's zone is not the therapist's: the due time is the reader's own. */
    yourTime: boolean;
    overdue: boolean;
  } | null;
}

/** The conversation's therapist: the first who published office hours, else the first at all. */
function therapistOf(people: Map<string, PersonEntry>): [string, PersonEntry] | null {
  const therapists = [...people].filter(([, p]) => p.role === 'therapist');
  return therapists.find(([, p]) => p.hours) ?? therapists[0] ?? null;
}

/**
 * The messages of this person (`mine`) that the therapist has not answered: those after the therapist's last message
 * that is not an automatic one. The promise counts from the first of them.
 */
export function unanswered(messages: MessageView[], therapistKey: string): MessageView[] {
  let from = 0;
  messages.forEach((m, i) => {
    if (m.by === therapistKey && !m.auto) from = i + 1;
  });
  return messages.slice(from).filter((m) => m.mine);
}

/**
 * For a client: the therapist's office hours and reply promise, and when their waiting messages should have a reply
 * (counted with `replyDueBy` from the first unanswered one). Null for a therapist, or with no therapist here.
 */
export function replyExpectation(input: {
  people: Map<string, PersonEntry>;
  messages: MessageView[];
  myRole: PersonEntry['role'];
  now: number;
  readerZone?: string;
}): ReplyExpectation | null {
  const { people, messages, myRole, now, readerZone = deviceTimeZone() } = input;
  if (myRole !== 'client') return null;
  const found = therapistOf(people);
  if (!found) return null;
  const [key, therapist] = found;
  const hours = therapist.hours;
  if (!hours)
    return { therapist: therapist.name, hours: null, promise: therapist.replyPromise, waiting: null };
  const first = unanswered(messages, key)[0];
  const dueBy = first ? replyDueBy(hours, first.at) : null;
  return {
    therapist: therapist.name,
    hours: describeHours(hours, readerZone),
    promise: describePromise(hours),
    waiting:
      dueBy === null
        ? null
        : {
            dueBy,
            due: describeMoment(dueBy, now, readerZone),
            yourTime: readerZone !== hours.timeZone,
            overdue: now > dueBy,
          },
  };
}

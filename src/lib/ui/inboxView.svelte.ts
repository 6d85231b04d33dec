import { type InboxFilter, type InboxItem, type InboxPerson, type Session } from '$lib/model';
import { app } from './app.svelte';

/** How often the inbox re-reads the clock, so "overdue" appears when a promised reply time passes. */
const CLOCK_MS = 30_000;

/** The words for each filter, in the order they are offered. */
export const FILTER_LABELS: Record<InboxFilter, string> = {
  all: 'All',
  unread: 'Unread',
  waiting: 'Awaiting my reply',
  unsent: 'Not sent yet',
};

/** What an empty inbox says under each filter. */
export const EMPTY_LABELS: Record<InboxFilter, string> = {
  all: 'No conversations yet.',
  unread: 'Nothing unread.',
  waiting: 'Nobody is waiting for a reply from you.',
  unsent: 'Everything you wrote has been sent.',
};

/**
 * The home screen's list. A therapist's is an inbox: filters, narrowing to one person, and whoever has waited longest
 * against the reply promise first. A client's is their conversations, most recent first.
 */
export class InboxViewState {
  filter = $state<InboxFilter>('all');
  person = $state<string | null>(null);
  /** The time the rows are judged against (overdue or not), moved on by `start`. */
  now = $state(Date.now());

  /** Whether this person gets the inbox's filters and reply times (therapists do). */
  get isInbox(): boolean {
    return app.session?.profile.role === 'therapist';
  }

  get items(): InboxItem[] {
    void app.revision;
    const session = app.session;
    if (!session) return [];
    if (!this.isInbox) return session.index.list().map((item) => ({ ...item, replyDue: null }));
    return session.inbox({ filter: this.filter, person: this.person });
  }

  /** Everyone the inbox could be narrowed to. */
  get people(): InboxPerson[] {
    void app.revision;
    return app.session?.inboxPeople() ?? [];
  }

  /** How many conversations there are at all, whatever the filter. */
  get total(): number {
    void app.revision;
    return app.session?.index.size ?? 0;
  }

  get emptyLabel(): string {
    if (this.person !== null && this.filter === 'all') return 'No conversations with this person.';
    return EMPTY_LABELS[this.filter];
  }

  /** The session the filters were chosen in: a new one (after a lock, or an erase) starts from all again. */
  private session: Session | null = null;

  forSession(session: Session | null): void {
    if (session === this.session) return;
    this.session = session;
    this.filter = 'all';
    this.person = null;
  }

  /** Keep `now` current while the list is on screen; returns the function that stops it. */
  start(): () => void {
    this.now = Date.now();
    const timer = setInterval(() => (this.now = Date.now()), CLOCK_MS);
    return () => clearInterval(timer);
  }
}

/** One for the app: the filters stay as they were when the person comes back from a conversation. */
export const inboxView = new InboxViewState();

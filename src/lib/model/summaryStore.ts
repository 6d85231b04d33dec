import type { RecordStore } from '../sync';
import { ChangedRooms } from './changedRooms';
import {
  ConversationSummary,
  RecentTimeline,
  recentTimeline,
  summarize,
  type SummarySource,
} from './summaries';

/** How long after a conversation changes its summary is brought up to date: one rewrite per burst of changes. */
export const SUMMARY_DELAY_MS = 100;

type Tracked = SummarySource & { onChange(listener: () => void): () => void };

/**
 * Every conversation's summary, in memory for the list and sealed in the store for the next unlock, with the
 * latest page of each loaded conversation. A loaded conversation's summary and latest lines are rebuilt shortly
 * after it changes and written only when they differ from what is stored. They are a cache: one that is missing or
 * does not open is rebuilt when its conversation loads.
 */
export class SummaryStore {
  private readonly summaries = new Map<string, ConversationSummary>();
  /** What is in the store now, by record id, as JSON: nothing is written twice. */
  private readonly stored = new Map<string, string>();
  private readonly tracked = new ChangedRooms<Tracked>(SUMMARY_DELAY_MS, () => void this.flush());
  private writes: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly records: RecordStore,
    /** This person's identity key (hex): not a participant of their own conversations. */
    private readonly me: string,
    private readonly changed: () => void,
  ) {}

  /** Read every stored summary (the list's content at unlock). */
  async load(): Promise<void> {
    const { values } = await this.records.listReadable('summary', ConversationSummary);
    for (const summary of values) {
      this.summaries.set(summary.room, summary);
      this.stored.set(summaryId(summary.room), JSON.stringify(summary));
    }
  }

  get(room: string): ConversationSummary | undefined {
    return this.summaries.get(room);
  }

  /** Stored summaries by room. */
  all(): ReadonlyMap<string, ConversationSummary> {
    return this.summaries;
  }

  /** The latest lines of a conversation as last stored, or null when there are none (or they do not open). */
  async recent(room: string): Promise<RecentTimeline | null> {
    const recent = await this.records.getReadable(recentId(room), RecentTimeline);
    return recent?.room === room ? recent : null;
  }

  /** Keep a loaded conversation's summary current from now on; brought up to date at once. */
  track(conversation: Tracked): void {
    // A conversation that finished loading after the session closed is closing too: nothing true to summarise.
    if (this.closed) return;
    this.tracked.follow(conversation);
    this.refresh(conversation.room);
  }

  /** Bring every changed conversation's summary up to date now, and wait until it is stored. */
  flush(): Promise<void> {
    this.tracked.cancelTimer();
    for (const room of [...this.tracked.due]) this.refresh(room);
    return this.writes;
  }

  /** Stop following the conversations (they are closing); what changed is summarised first. */
  close(): Promise<void> {
    this.closed = true;
    const written = this.flush();
    this.tracked.unfollowAll();
    return written;
  }

  /**
   * Stop summarising a room and delete what is stored of it: it turned out to be a practice, which the
   * conversations list never shows.
   */
  forget(room: string): Promise<void> {
    this.tracked.unfollow(room);
    this.summaries.delete(room);
    const ids = [summaryId(room), recentId(room)];
    for (const id of ids) this.stored.delete(id);
    this.writes = this.writes
      .then(() => this.records.remove(ids))
      .catch((error: unknown) =>
        console.warn('hearth: could not delete a summary', error instanceof Error ? error.name : error),
      );
    return this.writes;
  }

  private refresh(room: string): void {
    this.tracked.due.delete(room);
    const conversation = this.tracked.source(room);
    if (!conversation) return;
    const summary = summarize(conversation, this.me);
    const entries = [
      { id: summaryId(room), kind: 'summary' as const, value: summary },
      { id: recentId(room), kind: 'recent' as const, value: recentTimeline(conversation) },
    ]
      .map((entry) => ({ ...entry, json: JSON.stringify(entry.value) }))
      .filter((entry) => this.stored.get(entry.id) !== entry.json);
    if (entries.length === 0) return;
    this.summaries.set(room, summary);
    this.changed();
    // Remembered before the write lands, so a burst of changes queues each version once, in order.
    for (const entry of entries) this.stored.set(entry.id, entry.json);
    this.writes = this.writes
      .then(() => this.records.putAll(entries))
      .catch((error: unknown) => {
        // Only a cache: the conversation's next load writes it again. The error says nothing of the content.
        for (const entry of entries) this.stored.delete(entry.id);
        console.warn(
          'hearth: could not store a conversation summary',
          error instanceof Error ? error.name : error,
        );
      });
  }
}

function summaryId(room: string): string {
  return `summary:${room}`;
}

function recentId(room: string): string {
  return `recent:${room}`;
}

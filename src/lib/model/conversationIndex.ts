import { backgroundTurn, type RecordStore } from '../sync';
import type { Conversation } from './conversation';
import { RoomLoader } from './roomLoader';
import type { RoomRecord } from './schemas';
import {
  byLatestActivity,
  listItem,
  loadingOrder,
  type ConversationListItem,
  type RecentTimeline,
} from './summaries';
import { SummaryStore } from './summaryStore';

/** Marked each time every conversation on the device has been loaded. */
export const CONVERSATIONS_LOADED_MARK = 'hearth:conversations-loaded';

/**
 * Every conversation on this device, whether or not it is loaded yet: the list (from sealed summaries, so it shows
 * at unlock without opening any conversation's document), the latest lines of each to show while it opens, and the
 * loading of the documents behind the list, most recent first.
 */
export class ConversationIndex {
  private readonly loader: RoomLoader<Conversation>;
  private readonly summaries: SummaryStore;
  /** Practice rooms known only from their document (see `hide`); those known from their record are left out too. */
  private readonly practices = new Set<string>();

  constructor(
    records: RecordStore,
    /** This person's identity key (hex). */
    me: string,
    /** Open a room's conversation from the store (the session's, which also starts it syncing). */
    open: (record: RoomRecord) => Promise<Conversation>,
    private readonly changed: () => void,
  ) {
    this.summaries = new SummaryStore(records, me, changed);
    this.loader = new RoomLoader(
      async (record) => {
        const conversation = await open(record);
        // Summarising a long conversation takes a moment: what the person is looking at comes first.
        await backgroundTurn();
        if (!conversation.isPractice) this.summaries.track(conversation);
        return conversation;
      },
      () => {
        performance.mark(CONVERSATIONS_LOADED_MARK);
        this.changed();
      },
    );
  }

  /** Read the summaries, then load these rooms behind the list. */
  async start(rooms: RoomRecord[]): Promise<void> {
    await this.summaries.load();
    this.loader.enqueue(loadingOrder(rooms, this.summaries.all()));
  }

  /** A room new to this device (made or joined just now): loaded at once. */
  add(record: RoomRecord): Promise<Conversation> {
    return this.loader.load(record);
  }

  /** The conversations list, most recent activity first. Practices are rooms too, but never in it. */
  list(): ConversationListItem[] {
    return this.conversationRecords()
      .map((record) => listItem(record, this.summaries.get(record.room)))
      .sort(byLatestActivity);
  }

  /** The list row of one conversation. */
  item(room: string): ConversationListItem | undefined {
    const record = this.loader.record(room);
    return record && !this.isPractice(record) ? listItem(record, this.summaries.get(room)) : undefined;
  }

  /** How many conversations this device has. */
  get size(): number {
    return this.conversationRecords().length;
  }

  /**
   * Leave a room out of the list from now on, and delete its summary: its document says it is a practice (it was
   * learnt of from the relay's room list, so its record did not say).
   */
  hide(room: string): void {
    if (this.practices.has(room)) return;
    this.practices.add(room);
    void this.summaries.forget(room);
    this.changed();
  }

  private isPractice(record: RoomRecord): boolean {
    return record.kind === 'practice' || this.practices.has(record.room);
  }

  private conversationRecords(): RoomRecord[] {
    return this.loader.all().filter((record) => !this.isPractice(record));
  }

  has(room: string): boolean {
    return this.loader.has(room);
  }

  /** True while conversations are still loading behind the list. */
  get loading(): boolean {
    return this.loader.busy;
  }

  /** A conversation, loaded now if it was still waiting its turn. */
  open(room: string): Promise<Conversation> {
    return this.loader.load(room);
  }

  /** The latest lines of a conversation as this device last stored them, to show while it opens. */
  recent(room: string): Promise<RecentTimeline | null> {
    return this.summaries.recent(room);
  }

  /** Resolves once every conversation has been loaded. */
  whenLoaded(): Promise<void> {
    return this.loader.whenIdle();
  }

  /** Load nothing more, and store what changed (before the conversations close). */
  close(): Promise<void> {
    this.loader.stop();
    return this.summaries.close();
  }
}

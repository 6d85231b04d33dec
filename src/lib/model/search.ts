import {
  SEARCH_MAX_QUERY_CHARS,
  SEARCH_RESULT_LIMIT,
  SEARCH_SEGMENT_MESSAGES,
  SEARCH_SNIPPET_CHARS,
} from '../protocol/limits';
import { backgroundTurn, type RecordStore } from '../sync';
import { ChangedRooms } from './changedRooms';
import type { Conversation, MessageView } from './conversation';
import type { ConversationIndex } from './conversationIndex';
import { afterPaint } from './roomLoader';
import { MessageEntry } from './schemas';
import { SearchIndex, type IndexedMessage } from './searchIndex';
import { SearchStore, type RoomPart } from './searchStore';
import { queryTerms, snippet, tokenise, type QueryTerms, type SnippetPart } from './searchText';
import { rankTime } from './searchSegment';

/** How long after a conversation changes its new messages are indexed: one pass per burst of changes. */
export const SEARCH_INDEX_DELAY_MS = 100;
/** Messages indexed in one turn before the page gets the device back. */
const INDEX_BATCH_MESSAGES = 1_000;
/** Marked once the index has been built from scratch (or rebuilt) and stored; `detail.workMs` is the work it took. */
export const SEARCH_INDEX_BUILT_MARK = 'hearth:search-index-built';

/** What search reads of a loaded conversation. */
export type SearchSource = Pick<Conversation, 'room' | 'messages' | 'onChange' | 'isPractice'>;

/** What search needs of the session: its conversations, loaded or not (a Session is one). */
export interface SearchHost {
  readonly index: Pick<ConversationIndex, 'list' | 'item' | 'open'>;
  readonly conversations: ReadonlyMap<string, SearchSource>;
}

export interface SearchResult {
  room: string;
  messageId: string;
  at: number;
  /** Who wrote it ("You" for this person), or null while its conversation is still loading. */
  authorName: string | null;
  mine: boolean;
  topic: string;
  /** The other people in the conversation, the main contact first. */
  participants: string[];
  /** The message around its matched words, or null while its conversation is still loading. */
  snippet: SnippetPart[] | null;
}

/** The newest matching messages, and how many match in all. */
export interface SearchAnswer {
  results: SearchResult[];
  total: number;
}

/** `loading`: reading the stored index; `building`: some conversations are not indexed yet (`done` of `total` are). */
export interface SearchProgress {
  phase: 'loading' | 'building' | 'ready';
  done: number;
  total: number;
}

/** The message a search result links to (`?m=` of a conversation's address), or null when it names none. */
export function linkedMessage(param: string | null): string | null {
  const parsed = MessageEntry.shape.id.safeParse(param);
  return parsed.success ? parsed.data : null;
}

export class SearchError extends Error {
  constructor(
    readonly code: 'too_long',
    message: string,
  ) {
    super(message);
    this.name = 'SearchError';
  }
}

/**
 * Full-text search over every conversation on this device, offline. The index lives in memory and, sealed, in the
 * store (see `SearchStore`): read back after unlock, behind the conversations list; a conversation's messages not in
 * it yet are indexed once the conversation has loaded and again after each change, by message id, so a message a merge
 * put in the middle is found like a new one. Nothing of it ever leaves the device.
 */
export class Search {
  private readonly index = new SearchIndex();
  private readonly store: SearchStore;
  /** While a pass runs, it takes the rooms that change too. */
  private readonly tracked = new ChangedRooms<SearchSource>(
    SEARCH_INDEX_DELAY_MS,
    () => void this.run(),
    () => this.running,
  );
  /** Rooms a result needed that were still waiting to load: asked for once. */
  private readonly requested = new Set<string>();
  /** Each message list seen, by id, for snippets; dropped with the list when the conversation changes. */
  private readonly byId = new WeakMap<readonly MessageView[], Map<string, MessageView>>();
  private loading: Promise<void> = Promise.resolve();
  private loaded = false;
  private running = false;
  private closed = false;
  /** Set when unlock found conversations missing from the stored index; cleared once all are in and stored. */
  private building = false;
  private workMs = 0;

  constructor(
    records: RecordStore,
    private readonly host: SearchHost,
    private readonly changed: () => void,
  ) {
    this.store = new SearchStore(records, () => this.noteBuilt());
  }

  /** Read the stored index, once the conversations list has painted. */
  start(): void {
    this.loading = afterPaint()
      .then(() => this.store.load(this.index, () => this.closed))
      .catch((error: unknown) => {
        // A cache: whatever did not load is indexed again from the conversations.
        console.warn('hearth: could not read the search index', error instanceof Error ? error.name : error);
      })
      .then(() => {
        this.loaded = true;
        this.building = this.progress.phase === 'building';
        this.changed();
        void this.run();
      });
  }

  get progress(): SearchProgress {
    const rooms = this.host.index.list();
    if (!this.loaded) return { phase: 'loading', done: 0, total: rooms.length };
    const done = rooms.filter((r) => this.store.part(r.room)?.complete).length;
    return { phase: done < rooms.length ? 'building' : 'ready', done, total: rooms.length };
  }

  /**
   * The messages with every word of `text` (the last one as typed so far: "anx" finds "anxiety"), newest first,
   * at most `limit` of them. Throws `SearchError` for a query longer than SEARCH_MAX_QUERY_CHARS.
   */
  query(text: string, limit = SEARCH_RESULT_LIMIT): SearchAnswer {
    if (text.length > SEARCH_MAX_QUERY_CHARS) {
      throw new SearchError(
        'too_long',
        `Search for at most ${SEARCH_MAX_QUERY_CHARS} characters; this is ${text.length}.`,
      );
    }
    const terms = queryTerms(text);
    if (!terms) return { results: [], total: 0 };
    const { hits, total } = this.index.query(terms, limit);
    return { results: hits.map((hit) => this.result(hit, terms)), total };
  }

  /** Keep a loaded conversation's messages in the index from now on. */
  track(source: SearchSource): void {
    if (this.closed) return;
    this.tracked.follow(source);
    this.tracked.changed(source.room);
  }

  /** Index what changed now, and wait until the index is stored. */
  flush(): Promise<void> {
    this.tracked.cancelTimer();
    // Before the stored index is read, what is added would be added twice: those rooms are indexed next time.
    if (this.loaded) {
      // At most a batch now, so locking in the middle of a first build does not hold the page: the rest is indexed
      // in the background as usual, or, when closing, once its conversation loads after the next unlock.
      let budget = INDEX_BATCH_MESSAGES;
      for (const room of [...this.tracked.due]) if (budget > 0) budget -= this.indexRoom(room, budget);
    }
    if (!this.closed && this.tracked.due.size > 0) void this.run();
    return this.store.flush();
  }

  /** Stop following the conversations (they are closing); what changed is indexed and stored first. */
  close(): Promise<void> {
    this.closed = true;
    const written = this.flush();
    this.tracked.unfollowAll();
    return written;
  }

  /** Index the rooms that changed, a batch at a time, letting the page have the device between batches. */
  private async run(): Promise<void> {
    if (this.running || !this.loaded) return;
    this.running = true;
    try {
      while (!this.closed && this.tracked.due.size > 0) {
        const room = this.tracked.due.values().next().value as string;
        this.indexRoom(room, INDEX_BATCH_MESSAGES);
        this.changed();
        await backgroundTurn();
      }
      if (!this.closed) this.index.prepare();
    } finally {
      this.running = false;
    }
  }

  /**
   * Index up to `budget` of a room's messages not in the index yet, and say how many; the room stays due if more are
   * left.
   */
  private indexRoom(room: string, budget: number): number {
    const source = this.tracked.source(room);
    if (!source || source.isPractice) {
      // A practice is a room but not a conversation: nothing of it is searched.
      if (source) {
        this.index.removeRoom(room);
        this.store.forget(room);
      }
      this.tracked.due.delete(room);
      return 0;
    }
    const started = performance.now();
    const part = this.store.partFor(room);
    let added = 0;
    let finished = true;
    const messages = source.messages();
    for (const message of messages) {
      if (this.index.has(room, message.id)) continue;
      if (added === budget) {
        finished = false;
        break;
      }
      const entry = { id: message.id, at: rankTime(message.at), words: tokenise(message.text) };
      this.index.add(room, entry.id, entry.at, entry.words);
      addToPart(part, entry);
      added++;
    }
    if (finished) {
      if (!part.complete) part.dirty = true;
      part.complete = true;
      this.tracked.due.delete(room);
      // Made now, in the background, rather than by the first search that shows this room's messages.
      this.lookup(messages);
    }
    this.workMs += performance.now() - started;
    if (added > 0 || part.dirty) this.store.schedule();
    return added;
  }

  private result(hit: IndexedMessage, terms: QueryTerms): SearchResult {
    const item = this.host.index.item(hit.room);
    const conversation = this.host.conversations.get(hit.room);
    const message = conversation && this.message(conversation, hit.id);
    if (!conversation) this.requestLoad(hit.room);
    return {
      room: hit.room,
      messageId: hit.id,
      at: message?.at ?? hit.at,
      authorName: message ? (message.mine ? 'You' : message.authorName) : null,
      mine: message?.mine ?? false,
      topic: item?.topic ?? '',
      participants: item?.participants ?? [],
      snippet: message ? snippet(message.text, terms, SEARCH_SNIPPET_CHARS) : null,
    };
  }

  private message(conversation: SearchSource, id: string): MessageView | undefined {
    return this.lookup(conversation.messages()).get(id);
  }

  private lookup(messages: readonly MessageView[]): Map<string, MessageView> {
    let byId = this.byId.get(messages);
    if (!byId) {
      byId = new Map(messages.map((m) => [m.id, m]));
      this.byId.set(messages, byId);
    }
    return byId;
  }

  /** A result's conversation has not loaded yet: load it ahead of the others (the session then says it changed). */
  private requestLoad(room: string): void {
    if (this.requested.has(room) || this.closed) return;
    this.requested.add(room);
    this.host.index.open(room).catch((error: unknown) => {
      this.requested.delete(room);
      console.warn('hearth: could not load a conversation', error instanceof Error ? error.name : error);
    });
  }

  /** After the index is stored: once a build from scratch is complete, say so (and what it cost). */
  private noteBuilt(): void {
    if (!this.building || this.tracked.due.size > 0 || this.progress.phase !== 'ready') return;
    this.building = false;
    performance.mark(SEARCH_INDEX_BUILT_MARK, { detail: { workMs: this.workMs + this.store.workMs } });
  }
}

function addToPart(part: RoomPart, entry: RoomPart['open'][number]): void {
  part.open.push(entry);
  part.dirty = true;
  if (part.open.length < SEARCH_SEGMENT_MESSAGES) return;
  part.full.set(part.n, part.open);
  part.n++;
  part.open = [];
}

import { z } from 'zod';
import { MAX_DRAFT_CHARS } from '../protocol/limits';
import type { RecordStore } from '../sync';

/** How long after a draft changes it is sealed and stored: one write per burst of typing, never more than this late. */
export const DRAFT_SAVE_DELAY_MS = 300;

/** A reply being written in one conversation. Content: sealed in the record `draft:<room>` like a message. */
export const Draft = z.object({
  room: z.string().regex(/^[0-9a-f]{32}$/),
  text: z.string().min(1).max(MAX_DRAFT_CHARS),
});
export type Draft = z.infer<typeof Draft>;

/** A draft that cannot be kept as written; what was kept before stays. */
export class DraftError extends Error {
  constructor(
    readonly code: 'too_long',
    message: string,
  ) {
    super(message);
    this.name = 'DraftError';
  }
}

/**
 * The reply being written in each conversation, kept across reloads and locks. Typing changes memory at once; the
 * changed drafts are sealed and stored `DRAFT_SAVE_DELAY_MS` later, or at once by `flush` (when the app locks or the
 * page goes away). A draft of only spaces is no draft: its record is deleted.
 */
export class Drafts {
  private readonly texts = new Map<string, string>();
  /** Rooms whose draft changed since it was last stored. */
  private readonly due = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Writes, one after another, so a later version of a draft never lands before an earlier one. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly records: RecordStore,
    /** Called when a conversation gains or loses its draft (the list marks conversations with one). */
    private readonly changed: () => void,
  ) {}

  /** Read every stored draft (at unlock). */
  async load(): Promise<void> {
    const { values, unreadable } = await this.records.listReadable('draft', Draft);
    for (const draft of values) this.texts.set(draft.room, draft.text);
    // Left in place, not deleted: a draft is the person's words, and another version of the app may read it.
    if (unreadable.length > 0) console.warn(`hearth: ${unreadable.length} stored draft(s) could not be read`);
  }

  /** The draft of a conversation, as last typed ('' when there is none). */
  get(room: string): string {
    return this.texts.get(room) ?? '';
  }

  /** True when a conversation has a draft worth keeping. */
  has(room: string): boolean {
    return isKept(this.get(room));
  }

  /** Change a conversation's draft; it is stored shortly. Throws `DraftError` (and keeps the draft as it was). */
  set(room: string, text: string): void {
    if (text.length > MAX_DRAFT_CHARS) {
      throw new DraftError(
        'too_long',
        `This draft is ${text.length.toLocaleString()} characters; Hearth keeps drafts of up to ${MAX_DRAFT_CHARS.toLocaleString()}. Shorten it to keep it.`,
      );
    }
    if (text === this.get(room)) return;
    const had = this.has(room);
    if (text === '') this.texts.delete(room);
    else this.texts.set(room, text);
    this.due.add(room);
    this.timer ??= setTimeout(() => void this.flush(), DRAFT_SAVE_DELAY_MS);
    if (had !== this.has(room)) this.changed();
  }

  /** Forget a conversation's draft (it was sent), and delete it from the store. */
  clear(room: string): Promise<void> {
    const had = this.has(room);
    this.texts.delete(room);
    this.due.add(room);
    if (had) this.changed();
    return this.flush();
  }

  /** Store every changed draft now; resolves once they are stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rooms = [...this.due];
    this.due.clear();
    if (rooms.length === 0) return this.writes;
    const puts: { id: string; kind: 'draft'; value: Draft }[] = [];
    const removals: string[] = [];
    for (const room of rooms) {
      const text = this.get(room);
      if (isKept(text)) puts.push({ id: draftId(room), kind: 'draft', value: { room, text } });
      else removals.push(draftId(room));
    }
    this.writes = this.writes
      .then(async () => {
        if (puts.length > 0) await this.records.putAll(puts);
        if (removals.length > 0) await this.records.remove(removals);
      })
      .catch((error: unknown) => {
        // Still in memory: the next change or flush tries again. The error names no content.
        for (const room of rooms) this.due.add(room);
        console.warn('hearth: could not store a draft', error instanceof Error ? error.name : error);
      });
    return this.writes;
  }
}

function isKept(text: string): boolean {
  return text.trim().length > 0;
}

function draftId(room: string): string {
  return `draft:${room}`;
}

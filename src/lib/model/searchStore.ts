import { SEARCH_SEGMENT_MESSAGES } from '../protocol/limits';
import { backgroundTurn, type RecordStore } from '../sync';
import type { SearchIndex } from './searchIndex';
import {
  decodeSegment,
  encodeSegment,
  parseSegmentId,
  segmentEntries,
  segmentId,
  type DecodedSegment,
  type SegmentEntry,
} from './searchSegment';

/** How long after the index changes it is stored: one write per burst of changes, off the path of what was done. */
export const SEARCH_STORE_DELAY_MS = 1_000;
/** Segments read, or written, in one turn before the page gets the device back. */
const LOAD_BATCH_SEGMENTS = 16;
const WRITE_BATCH_SEGMENTS = 32;

/** A segment due to be written. */
interface Pending {
  room: string;
  n: number;
  entries: SegmentEntry[];
  complete: boolean;
}

/** What the device holds of one room's index besides what is in `SearchIndex`. */
export interface RoomPart {
  /** Number of the open segment: the room's last, written again as messages join it until it is full. */
  n: number;
  open: SegmentEntry[];
  /** Segments that filled up since the last write, by number. */
  full: Map<number, SegmentEntry[]>;
  /** Changed since it was last written. */
  dirty: boolean;
  /** Whether any segment of the room has been written (a room with no messages has one, empty). */
  stored: boolean;
  /**
   * Every message of the room is indexed, as far as this device knows: its conversation has been gone through since
   * (or the stored index said so, and nothing of it failed to open).
   */
  complete: boolean;
  /** What the stored segments say of `complete`. */
  storedComplete: boolean;
}

/**
 * The search index at rest: per room, segments of SEARCH_SEGMENT_MESSAGES messages sealed as records
 * (`search:<room>:<n>`, see `encodeSegment`). Only the room's last segment is ever written again, so a new message
 * costs one small record, never the whole index. Record ids say which room and how many segments (as the envelopes
 * already do); words and ids are inside the sealed payload only. It is a cache: a segment that does not open is
 * deleted, and its messages are indexed again when their conversation loads.
 */
export class SearchStore {
  private readonly parts = new Map<string, RoomPart>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writes: Promise<void> = Promise.resolve();
  /** Milliseconds spent packing and sealing segments. */
  workMs = 0;

  constructor(
    private readonly records: RecordStore,
    /** Called after each write has landed (or failed). */
    private readonly written: () => void,
  ) {}

  part(room: string): RoomPart | undefined {
    return this.parts.get(room);
  }

  /** The room's part, new (and so due to be written, even with no message) if it had none. */
  partFor(room: string): RoomPart {
    let part = this.parts.get(room);
    if (!part) {
      part = {
        n: 0,
        open: [],
        full: new Map(),
        dirty: true,
        stored: false,
        complete: false,
        storedComplete: false,
      };
      this.parts.set(room, part);
    }
    return part;
  }

  /** Read every stored segment into `index`, a batch per turn, until `stop` says the session is closing. */
  async load(index: SearchIndex, stop: () => boolean): Promise<void> {
    const ids = await this.records.ids('search');
    const unreadable = ids.filter((id) => parseSegmentId(id) === null);
    const last = new Map<string, { n: number; decoded: DecodedSegment | null }>();
    const broken = new Set<string>();
    const note = (room: string, n: number, decoded: DecodedSegment | null) => {
      if ((last.get(room)?.n ?? -1) < n) last.set(room, { n, decoded });
      if (!decoded) broken.add(room);
    };
    const readable = ids.filter((id) => parseSegmentId(id) !== null);
    for (let i = 0; i < readable.length; i += LOAD_BATCH_SEGMENTS) {
      if (stop()) return;
      const batch = readable.slice(i, i + LOAD_BATCH_SEGMENTS);
      const { values, unreadable: unopened } = await this.records.getManyBytes(batch);
      for (const id of unopened) {
        const { room, n } = parseSegmentId(id) as { room: string; n: number };
        unreadable.push(id);
        note(room, n, null);
      }
      for (const { id, bytes } of values) {
        const { room, n } = parseSegmentId(id) as { room: string; n: number };
        let decoded: DecodedSegment;
        try {
          decoded = decodeSegment(bytes);
        } catch {
          // Sealed by this device but not in a layout this version reads: rebuilt like one that does not open.
          unreadable.push(id);
          note(room, n, null);
          continue;
        }
        index.addPart(room, decoded.ids, decoded.at, decoded.postings);
        note(room, n, decoded);
      }
      await backgroundTurn();
    }
    for (const [room, { n, decoded }] of last) {
      const reopen = decoded !== null && decoded.ids.length < SEARCH_SEGMENT_MESSAGES;
      this.parts.set(room, {
        n: reopen ? n : n + 1,
        open: reopen ? segmentEntries(decoded) : [],
        full: new Map(),
        dirty: false,
        stored: true,
        complete: !broken.has(room) && decoded !== null && decoded.complete,
        storedComplete: decoded?.complete ?? false,
      });
    }
    if (unreadable.length > 0) await this.records.remove(unreadable);
  }

  /** Write what changed shortly. */
  schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.write();
    }, SEARCH_STORE_DELAY_MS);
  }

  /** Write what changed now; resolves once everything asked for so far is written. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.write();
    return this.writes;
  }

  /** Delete a room's segments (it turned out to be a practice, which is never searched). */
  forget(room: string): void {
    const part = this.parts.get(room);
    if (!part) return;
    this.parts.delete(room);
    const ids = Array.from({ length: part.n + 1 }, (_, n) => segmentId(room, n));
    this.writes = this.writes
      .then(() => this.records.remove(ids))
      .catch((error: unknown) =>
        console.warn(
          'hearth: could not delete a search segment',
          error instanceof Error ? error.name : error,
        ),
      );
  }

  private write(): void {
    const pending: Pending[] = [];
    for (const [room, part] of this.parts) {
      if (!part.dirty) continue;
      const { complete } = part;
      for (const [n, entries] of part.full) pending.push({ room, n, entries, complete });
      // The last segment says whether the room is complete: written, even empty, when that changed.
      if (part.open.length > 0 || !part.stored || part.storedComplete !== complete) {
        pending.push({ room, n: part.n, entries: part.open.slice(), complete });
      }
      part.full = new Map();
      part.dirty = false;
      part.stored = true;
      part.storedComplete = complete;
    }
    this.writes = this.writes
      .then(() => this.put(pending))
      .catch((error: unknown) => {
        // Only a cache: what was not written is indexed again from its conversation after the next unlock.
        console.warn('hearth: could not store the search index', error instanceof Error ? error.name : error);
      })
      .then(() => this.written());
  }

  private async put(pending: Pending[]): Promise<void> {
    for (let i = 0; i < pending.length; i += WRITE_BATCH_SEGMENTS) {
      const started = performance.now();
      const batch = pending.slice(i, i + WRITE_BATCH_SEGMENTS).map(({ room, n, entries, complete }) => ({
        id: segmentId(room, n),
        kind: 'search' as const,
        bytes: encodeSegment(entries, complete),
      }));
      // Sealing happens as the write starts; the wait for IndexedDB is not work.
      const writing = this.records.putAllBytes(batch);
      this.workMs += performance.now() - started;
      await writing;
      await backgroundTurn();
    }
  }
}

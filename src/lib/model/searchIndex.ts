import type { QueryTerms } from './searchText';

/** A message the index holds: where it is and when it was written (what results are ranked by). */
export interface IndexedMessage {
  room: string;
  id: string;
  at: number;
}

/** Messages that match a query, newest first, and how many match in all. */
export interface IndexHits {
  hits: IndexedMessage[];
  total: number;
}

/** Above this stamp the marks are cleared and counting starts again (they are 32-bit). */
const STAMP_LIMIT = 0xfff0_0000;
/** Fewer new words than this are put in place in the sorted vocabulary; more, and it is sorted again. */
const VOCABULARY_INSERTS = 256;

/**
 * An inverted index of message words in memory: each word to the messages that contain it (postings of message
 * numbers), and each message number to its room, id and time. Queries take every `exact` word and any word
 * starting with the `prefix` (found in the sorted vocabulary), and rank what matches all of them newest first.
 * Pure: no storage, no text (only words and ids), so it can be rebuilt from the conversations at any time.
 */
export class SearchIndex {
  private readonly rooms: string[] = [];
  private readonly roomNumbers = new Map<string, number>();
  /** Rooms taken out of the index: their messages stay in the postings but never match. */
  private readonly removed = new Set<number>();
  private readonly ids = new Map<string, Set<string>>();
  private readonly messageRoom: number[] = [];
  private readonly messageId: string[] = [];
  private readonly messageAt: number[] = [];
  private readonly postings = new Map<string, number[]>();
  private vocabulary: string[] = [];
  private readonly newWords: string[] = [];
  private marks = new Uint32Array(0);
  private stamp = 0;

  /** How many messages are indexed. */
  get size(): number {
    return this.messageId.length;
  }

  /** True when the message is in the index. */
  has(room: string, id: string): boolean {
    return this.ids.get(room)?.has(id) ?? false;
  }

  /** Add a message with its words (repeats are fine). A message already in the index is left as it is. */
  add(room: string, id: string, at: number, words: readonly string[]): void {
    const known = this.roomIds(room);
    if (known.has(id)) return;
    known.add(id);
    const number = this.messageId.length;
    this.messageRoom.push(this.roomNumber(room));
    this.messageId.push(id);
    this.messageAt.push(at);
    for (const word of words) {
      const list = this.posting(word);
      // The message's own number is the last one of a word it has already put in: a repeat.
      if (list[list.length - 1] !== number) list.push(number);
    }
  }

  /**
   * Add a stored part of a room's index: its messages, and for each word the positions (in `ids`) of the messages
   * that contain it. Messages already in the index are skipped.
   */
  addPart(
    room: string,
    ids: readonly string[],
    at: readonly number[],
    postings: Map<string, number[]>,
  ): void {
    const known = this.roomIds(room);
    const roomNumber = this.roomNumber(room);
    const numbers = ids.map((id, i) => {
      if (known.has(id)) return -1;
      known.add(id);
      this.messageRoom.push(roomNumber);
      this.messageId.push(id);
      this.messageAt.push(at[i]);
      return this.messageId.length - 1;
    });
    for (const [word, positions] of postings) {
      const list = this.posting(word);
      for (const position of positions) {
        const number = numbers[position];
        if (number >= 0) list.push(number);
      }
    }
  }

  /** Put the words added since the last query in order now (in the background), not during the next query. */
  prepare(): void {
    this.sortedVocabulary();
  }

  /** Take a room's messages out of the index (they no longer match); added again later, they match again. */
  removeRoom(room: string): void {
    const number = this.roomNumbers.get(room);
    if (number === undefined) return;
    this.removed.add(number);
    this.roomNumbers.delete(room);
    this.ids.delete(room);
  }

  /** The messages with every term, newest first: at most `limit` of them, and how many there are in all. */
  query(terms: QueryTerms, limit: number): IndexHits {
    const groups: number[][][] = terms.exact.map((word) => [this.postings.get(word) ?? []]);
    if (terms.prefix !== null) groups.push(this.withPrefix(terms.prefix));
    const sizes = groups.map((lists) => lists.reduce((n, list) => n + list.length, 0));
    if (groups.length === 0 || sizes.some((size) => size === 0)) return { hits: [], total: 0 };
    const order = groups.map((_, i) => i).sort((a, b) => sizes[a] - sizes[b]);
    const candidates = this.intersect(order.map((i) => groups[i]));
    return { hits: this.newest(candidates, limit), total: candidates.length };
  }

  /**
   * Message numbers in every group (a group matches when any of its postings holds the number), smallest group
   * first. Each message carries a mark: the groups it has been found in so far, counted from this query's stamp.
   */
  private intersect(groups: number[][][]): number[] {
    if (this.marks.length < this.messageId.length) {
      const grown = new Uint32Array(Math.max(this.messageId.length, this.marks.length * 2));
      grown.set(this.marks);
      this.marks = grown;
    }
    if (this.stamp > STAMP_LIMIT) {
      this.marks.fill(0);
      this.stamp = 0;
    }
    const marks = this.marks;
    const base = this.stamp;
    const all = base + groups.length;
    this.stamp = all + 2;
    for (const list of groups[0]) for (const n of list) marks[n] = base + 1;
    for (let g = 1; g < groups.length; g++) {
      const seen = base + g;
      for (const list of groups[g]) {
        for (const n of list) if (marks[n] === seen) marks[n] = seen + 1;
      }
    }
    const out: number[] = [];
    for (const list of groups[0]) {
      for (const n of list) {
        if (marks[n] !== all) continue;
        // Counted once, even when it holds several words with the prefix.
        marks[n] = all + 1;
        if (!this.removed.has(this.messageRoom[n])) out.push(n);
      }
    }
    return out;
  }

  /** The `limit` newest of the candidates, newest first (the later indexed first among equal times). */
  private newest(candidates: number[], limit: number): IndexedMessage[] {
    const at = this.messageAt;
    const before = (a: number, b: number) => at[a] > at[b] || (at[a] === at[b] && a > b);
    const top: number[] = [];
    for (const n of candidates) {
      if (top.length === limit && !before(n, top[top.length - 1])) continue;
      let low = 0;
      let high = top.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (before(top[mid], n)) low = mid + 1;
        else high = mid;
      }
      top.splice(low, 0, n);
      if (top.length > limit) top.pop();
    }
    return top.map((n) => ({
      room: this.rooms[this.messageRoom[n]],
      id: this.messageId[n],
      at: at[n],
    }));
  }

  /** The postings of every word that starts with `prefix`. */
  private withPrefix(prefix: string): number[][] {
    const vocabulary = this.sortedVocabulary();
    const lists: number[][] = [];
    for (let i = lowerBound(vocabulary, prefix); i < vocabulary.length; i++) {
      const word = vocabulary[i];
      if (!word.startsWith(prefix)) break;
      lists.push(this.postings.get(word) as number[]);
    }
    return lists;
  }

  private sortedVocabulary(): string[] {
    if (this.newWords.length >= VOCABULARY_INSERTS) {
      this.vocabulary = [...this.postings.keys()].sort();
    } else {
      for (const word of this.newWords) this.vocabulary.splice(lowerBound(this.vocabulary, word), 0, word);
    }
    this.newWords.length = 0;
    return this.vocabulary;
  }

  private posting(word: string): number[] {
    let list = this.postings.get(word);
    if (!list) {
      list = [];
      this.postings.set(word, list);
      this.newWords.push(word);
    }
    return list;
  }

  private roomIds(room: string): Set<string> {
    let known = this.ids.get(room);
    if (!known) {
      known = new Set();
      this.ids.set(room, known);
    }
    return known;
  }

  private roomNumber(room: string): number {
    let number = this.roomNumbers.get(room);
    if (number === undefined) {
      number = this.rooms.length;
      this.rooms.push(room);
      this.roomNumbers.set(room, number);
    }
    return number;
  }
}

/** The first position in a sorted list whose word is not before `word`. */
function lowerBound(sorted: readonly string[], word: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] < word) low = mid + 1;
    else high = mid;
  }
  return low;
}

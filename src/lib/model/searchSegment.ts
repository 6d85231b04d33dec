import { z } from 'zod';
import { ByteReader } from '../protocol/reader';
import { ByteWriter } from '../protocol/writer';
import { SEARCH_SEGMENT_MESSAGES } from '../protocol/limits';
import { fromBase64Url, toBase64Url } from '../sync';

/**
 * One stored part of a room's search index (record `search:<room>:<n>`, sealed under the storage key like every
 * record): up to SEARCH_SEGMENT_MESSAGES messages, by id, with their times and, for each word, which of them contain
 * it. Message texts are not in it. The numbers are packed as varuints (base64url), so the index costs a fraction of
 * the texts it covers: times as differences from the one before (zigzag), positions as gaps.
 */
export const SearchSegment = z.object({
  v: z.literal(1),
  room: z.string().regex(/^[0-9a-f]{32}$/),
  n: z.number().int().nonnegative(),
  ids: z.array(z.string().min(1).max(64)).max(SEARCH_SEGMENT_MESSAGES),
  /** The words, separated by spaces (a word never holds one). */
  words: z.string(),
  /** Message count, each time, word count, and per word its message count and position gaps. */
  numbers: z.string(),
});
export type SearchSegment = z.infer<typeof SearchSegment>;

/** A message as a segment holds it. */
export interface SegmentEntry {
  id: string;
  at: number;
  words: readonly string[];
}

/** A segment read back: its messages' ids and times, and for each word the positions of those containing it. */
export interface DecodedSegment {
  ids: string[];
  at: number[];
  postings: Map<string, number[]>;
}

/** Times are kept in whole milliseconds within this range (so a difference of two, doubled, is a safe integer). */
const MAX_TIME = 4e15;

/** The time a message is ranked by: its `at` (which peers write) made a whole number in range. */
export function rankTime(at: number): number {
  return Number.isFinite(at) ? Math.min(MAX_TIME, Math.max(0, Math.round(at))) : 0;
}

/** Record id of a room's `n`th segment. */
export function segmentId(room: string, n: number): string {
  return `search:${room}:${n}`;
}

/** The room and number of a segment's record id, or null when the id is not one. */
export function parseSegmentId(id: string): { room: string; n: number } | null {
  const match = /^search:([0-9a-f]{32}):(\d{1,9})$/.exec(id);
  return match ? { room: match[1], n: Number(match[2]) } : null;
}

export function encodeSegment(room: string, n: number, entries: readonly SegmentEntry[]): SearchSegment {
  const postings = new Map<string, number[]>();
  entries.forEach((entry, position) => {
    for (const word of entry.words) {
      const list = postings.get(word);
      if (list) list.push(position);
      else postings.set(word, [position]);
    }
  });
  const out = new ByteWriter().varUint(entries.length);
  let previous = 0;
  for (const entry of entries) {
    const at = rankTime(entry.at);
    out.varUint(zigzag(at - previous));
    previous = at;
  }
  out.varUint(postings.size);
  for (const positions of postings.values()) {
    out.varUint(positions.length);
    let last = -1;
    for (const position of positions) {
      out.varUint(position - last - 1);
      last = position;
    }
  }
  return {
    v: 1,
    room,
    n,
    ids: entries.map((e) => e.id),
    words: [...postings.keys()].join(' '),
    numbers: toBase64Url(out.finish()),
  };
}

/** Read a segment's numbers back; throws when they do not fit its ids and words (then it is rebuilt). */
export function decodeSegment(segment: SearchSegment): DecodedSegment {
  const input = new ByteReader(fromBase64Url(segment.numbers));
  const count = input.varUint();
  if (count !== segment.ids.length) throw new Error('search segment: message count differs');
  const at: number[] = [];
  let previous = 0;
  for (let i = 0; i < count; i++) {
    previous += unzigzag(input.varUint());
    at.push(previous);
  }
  const words = segment.words === '' ? [] : segment.words.split(' ');
  if (input.varUint() !== words.length) throw new Error('search segment: word count differs');
  const postings = new Map<string, number[]>();
  for (const word of words) {
    const length = input.varUint();
    if (length > count) throw new Error('search segment: posting too long');
    const positions: number[] = [];
    let last = -1;
    for (let i = 0; i < length; i++) {
      last += input.varUint() + 1;
      if (last >= count) throw new Error('search segment: position out of range');
      positions.push(last);
    }
    postings.set(word, positions);
  }
  input.end();
  return { ids: segment.ids, at, postings };
}

/** The messages of a decoded segment with their words: the open segment, which is written again as it grows. */
export function segmentEntries(decoded: DecodedSegment): SegmentEntry[] {
  const words: string[][] = decoded.ids.map(() => []);
  for (const [word, positions] of decoded.postings) for (const p of positions) words[p].push(word);
  return decoded.ids.map((id, i) => ({ id, at: decoded.at[i], words: words[i] }));
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

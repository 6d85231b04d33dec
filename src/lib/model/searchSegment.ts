import { toHex } from '../protocol/hex';
import { MAX_MESSAGE_CHARS, SEARCH_MAX_TOKEN_CHARS, SEARCH_SEGMENT_MESSAGES } from '../protocol/limits';
import { ByteReader } from '../protocol/reader';
import { ByteWriter } from '../protocol/writer';

/**
 * One stored part of a room's search index (record `search:<room>:<n>`, sealed under the storage key like every
 * record, in a binary layout of its own): up to SEARCH_SEGMENT_MESSAGES messages by id, their times, and for each
 * word which of them contain it. Message texts are not in it.
 *
 *   u8 version (1) · u8 flags (1: written once every message of the room was in it) · varuint messages
 *   per message, its id: u8 1 and 16 bytes (a lowercase UUID, as the app makes them), or u8 0 and a varstring
 *   per message, its time: the difference from the one before, zigzag varuint
 *   varstring: the words, separated by spaces (a word never holds one)
 *   per word: varuint messages holding it, then their positions as gaps (varuints)
 *
 * Read back through `ByteReader`, which refuses anything truncated, too long, or followed by trailing bytes.
 */
export const SEGMENT_VERSION = 1;

/** A message as a segment holds it. */
export interface SegmentEntry {
  id: string;
  at: number;
  words: readonly string[];
}

/** A segment read back: its messages' ids and times, and for each word the positions of those containing it. */
export interface DecodedSegment {
  /** The room's index was complete when this segment was written (what its last segment says counts). */
  complete: boolean;
  ids: string[];
  at: number[];
  postings: Map<string, number[]>;
}

/** Times are kept in whole milliseconds within this range (so a difference of two, doubled, is a safe integer). */
const MAX_TIME = 4e15;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Longest message id a document may hold (see `MessageEntry`). */
const MAX_ID_CHARS = 64;

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

export function encodeSegment(entries: readonly SegmentEntry[], complete = false): Uint8Array {
  const postings = new Map<string, number[]>();
  entries.forEach((entry, position) => {
    for (const word of entry.words) {
      const list = postings.get(word);
      if (!list) postings.set(word, [position]);
      else if (list[list.length - 1] !== position) list.push(position);
    }
  });
  const out = new ByteWriter()
    .u8(SEGMENT_VERSION)
    .u8(complete ? 1 : 0)
    .varUint(entries.length);
  for (const { id } of entries) {
    if (UUID.test(id)) out.u8(1).fixed(uuidBytes(id));
    else out.u8(0).varString(id);
  }
  let previous = 0;
  for (const entry of entries) {
    const at = rankTime(entry.at);
    out.varUint(zigzag(at - previous));
    previous = at;
  }
  // One string for all the words: encoding each on its own took most of the time spent writing a segment.
  out.varString([...postings.keys()].join(' '));
  for (const positions of postings.values()) {
    out.varUint(positions.length);
    let last = -1;
    for (const position of positions) {
      out.varUint(position - last - 1);
      last = position;
    }
  }
  return out.finish();
}

/** Read a segment back; throws when it is not one this version wrote (then it is rebuilt). */
export function decodeSegment(bytes: Uint8Array): DecodedSegment {
  const input = new ByteReader(bytes);
  if (input.u8() !== SEGMENT_VERSION) throw new Error('search segment: unknown version');
  const flags = input.u8();
  if (flags > 1) throw new Error('search segment: unknown flags');
  const count = input.varUint();
  if (count > SEARCH_SEGMENT_MESSAGES) throw new Error('search segment: too many messages');
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(input.u8() === 1 ? uuid(input.fixed(16)) : input.varString(MAX_ID_CHARS));
  const at: number[] = [];
  let previous = 0;
  for (let i = 0; i < count; i++) {
    previous += unzigzag(input.varUint());
    at.push(previous);
  }
  const joined = input.varString(count * MAX_MESSAGE_CHARS);
  const postings = new Map<string, number[]>();
  for (const word of joined === '' ? [] : joined.split(' ')) {
    if (word === '' || word.length > SEARCH_MAX_TOKEN_CHARS) throw new Error('search segment: not a word');
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
  return { complete: flags === 1, ids, at, postings };
}

/** The messages of a decoded segment with their words: the open segment, which is written again as it grows. */
export function segmentEntries(decoded: DecodedSegment): SegmentEntry[] {
  const words: string[][] = decoded.ids.map(() => []);
  for (const [word, positions] of decoded.postings) for (const p of positions) words[p].push(word);
  return decoded.ids.map((id, i) => ({ id, at: decoded.at[i], words: words[i] }));
}

function uuidBytes(id: string): Uint8Array {
  const hex = id.replaceAll('-', '');
  const out = new Uint8Array(16);
  // Four 32-bit pieces rather than sixteen bytes: packing ids is a good part of writing a segment.
  for (let i = 0; i < 4; i++) {
    const word = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
    out[i * 4] = word >>> 24;
    out[i * 4 + 1] = (word >>> 16) & 0xff;
    out[i * 4 + 2] = (word >>> 8) & 0xff;
    out[i * 4 + 3] = word & 0xff;
  }
  return out;
}

function uuid(bytes: Uint8Array): string {
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

import { describe, expect, it } from 'vitest';
import { decodeSegment, encodeSegment, segmentEntries, type SegmentEntry } from '$lib/model/searchSegment';
import { tokenise } from '$lib/model/searchText';
import { SEARCH_MAX_TOKEN_CHARS, SEARCH_SEGMENT_MESSAGES } from '$lib/protocol/limits';

const ENTRIES: SegmentEntry[] = [
  { id: '0f8fad5b-d9cb-469f-a165-70867728950e', at: 1_700_000_060_000, words: ['sleep', 'better'] },
  // Written by a peer: any id the document allows, and a time before the one above.
  { id: 'Peer-Made_id#1', at: 1_700_000_000_000, words: ['sleep', 'café', '東', 'sleep'] },
  { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', at: 1_700_000_120_000, words: [] },
];

describe('search segments', () => {
  it('read back exactly the messages, times and words written', () => {
    expect(decodeSegment(encodeSegment(ENTRIES, true)).complete).toBe(true);
    const decoded = decodeSegment(encodeSegment(ENTRIES));
    expect(decoded.complete).toBe(false);
    expect(decoded.ids).toEqual(ENTRIES.map((e) => e.id));
    expect(decoded.at).toEqual(ENTRIES.map((e) => e.at));
    expect(decoded.postings).toEqual(
      new Map([
        ['sleep', [0, 1]],
        ['better', [0]],
        ['café', [1]],
        ['東', [1]],
      ]),
    );
    // Each message's words once, as the index needs them.
    expect(segmentEntries(decoded).map((e) => [...e.words].sort())).toEqual(
      ENTRIES.map((e) => [...new Set(e.words)].sort()),
    );
  });

  it('keep an id the app made in 17 bytes', () => {
    const one = (id: string) => encodeSegment([{ id, at: 0, words: [] }]).length;
    expect(one('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(1 + 1 + 1 + 17 + 1 + 1);
    // Only the lowercase form is packed, so every id reads back as it was written.
    const upper = '0F8FAD5B-D9CB-469F-A165-70867728950E';
    expect(decodeSegment(encodeSegment([{ id: upper, at: 0, words: [] }])).ids).toEqual([upper]);
  });

  it('refuse bytes that are cut short, run on, or are not a segment', () => {
    const bytes = encodeSegment(ENTRIES);
    expect(() => decodeSegment(bytes.subarray(0, bytes.length - 1))).toThrow();
    expect(() => decodeSegment(new Uint8Array([...bytes, 0]))).toThrow();
    expect(() => decodeSegment(new Uint8Array([2, ...bytes.subarray(1)]))).toThrow();
    expect(() => decodeSegment(new Uint8Array([1, 2, ...bytes.subarray(2)]))).toThrow();
    const tooMany = new Uint8Array([1, 0, ...varUint(SEARCH_SEGMENT_MESSAGES + 1)]);
    expect(() => decodeSegment(tooMany)).toThrow();
  });

  it('store a long word cut where a query cuts it, never inside a character', () => {
    // Gothic letters are outside the first plane: two UTF-16 units each, so the cut falls inside one.
    const word = `a${'𐌰'.repeat(SEARCH_MAX_TOKEN_CHARS)}`;
    const [token] = tokenise(word);
    expect(token).toBe(`a${'𐌰'.repeat(SEARCH_MAX_TOKEN_CHARS / 2 - 1)}`);
    const decoded = decodeSegment(encodeSegment([{ id: 'x'.repeat(8), at: 1, words: [token] }]));
    expect([...decoded.postings.keys()]).toEqual([token]);
  });
});

function varUint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push(0x80 | (n & 0x7f));
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

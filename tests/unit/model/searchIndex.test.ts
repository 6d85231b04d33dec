import { describe, expect, it } from 'vitest';
import { SearchIndex } from '$lib/model/searchIndex';
import { queryTerms, tokenise } from '$lib/model/searchText';

const ROOM_A = 'a'.repeat(32);
const ROOM_B = 'b'.repeat(32);

function indexOf(messages: [room: string, id: string, at: number, text: string][]): SearchIndex {
  const index = new SearchIndex();
  for (const [room, id, at, text] of messages) index.add(room, id, at, tokenise(text));
  return index;
}

function ids(index: SearchIndex, query: string, limit = 10): string[] {
  return index.query(queryTerms(query)!, limit).hits.map((h) => h.id);
}

describe('search index', () => {
  const index = indexOf([
    [ROOM_A, 'm1', 1_000, 'I felt anxious before the session'],
    [ROOM_A, 'm2', 3_000, 'Anxiety again last night, could not sleep'],
    [ROOM_B, 'm3', 2_000, 'Sleep has been better since Tuesday'],
    [ROOM_B, 'm4', 4_000, 'Can we move the session to Thursday?'],
  ]);

  it('finds a word by its first letters while it is typed', () => {
    expect(ids(index, 'anx')).toEqual(['m2', 'm1']);
    expect(ids(index, 'anxiety')).toEqual(['m2']);
    expect(ids(index, 'anxiety ')).toEqual(['m2']);
    expect(ids(index, 'anx ')).toEqual([]);
  });

  it('finds only messages with every word of the query', () => {
    expect(ids(index, 'sleep')).toEqual(['m2', 'm3']);
    expect(ids(index, 'sleep tues')).toEqual(['m3']);
    expect(ids(index, 'session thu')).toEqual(['m4']);
    expect(ids(index, 'session nowhere')).toEqual([]);
  });

  it('ranks newest first across rooms, and counts every match beyond the limit', () => {
    expect(ids(index, 's')).toEqual(['m4', 'm2', 'm3', 'm1']);
    const { hits, total } = index.query(queryTerms('s')!, 2);
    expect(hits).toEqual([
      { room: ROOM_B, id: 'm4', at: 4_000 },
      { room: ROOM_A, id: 'm2', at: 3_000 },
    ]);
    expect(total).toBe(4);
  });

  it('counts a message once when several of its words start with the prefix', () => {
    const many = indexOf([[ROOM_A, 'x', 1, 'sleep sleeping sleepless slept']]);
    expect(many.query(queryTerms('sle')!, 10)).toEqual({
      hits: [{ room: ROOM_A, id: 'x', at: 1 }],
      total: 1,
    });
  });

  it('keeps a message once, however often it is added or a word repeats in it', () => {
    const twice = indexOf([
      [ROOM_A, 'x', 1, 'hello there, hello again HELLO'],
      [ROOM_A, 'x', 1, 'hello there'],
    ]);
    expect(twice.size).toBe(1);
    expect(twice.query(queryTerms('hello ')!, 10)).toEqual({
      hits: [{ room: ROOM_A, id: 'x', at: 1 }],
      total: 1,
    });
  });

  it('finds words added after a search (the vocabulary follows)', () => {
    const growing = indexOf([[ROOM_A, 'x', 1, 'alpha']]);
    expect(ids(growing, 'al')).toEqual(['x']);
    growing.add(ROOM_A, 'y', 2, tokenise('almond alps'));
    for (let i = 0; i < 300; i++) growing.add(ROOM_B, `z${i}`, 3 + i, [`word${i}`]);
    expect(ids(growing, 'al')).toEqual(['y', 'x']);
    expect(ids(growing, 'word29')).toEqual([
      'z299',
      'z298',
      'z297',
      'z296',
      'z295',
      'z294',
      'z293',
      'z292',
      'z291',
      'z290',
    ]);
  });

  it('stops finding a removed room, and finds it again once it is added back', () => {
    const rooms = indexOf([
      [ROOM_A, 'x', 1, 'shared word'],
      [ROOM_B, 'y', 2, 'shared word'],
    ]);
    rooms.removeRoom(ROOM_B);
    expect(ids(rooms, 'shared')).toEqual(['x']);
    expect(rooms.has(ROOM_B, 'y')).toBe(false);
    rooms.add(ROOM_B, 'y', 2, ['shared']);
    expect(ids(rooms, 'shared')).toEqual(['y', 'x']);
  });

  it('answers many queries in a row (the marks it counts with are reused)', () => {
    for (let i = 0; i < 1_000; i++)
      expect(ids(index, i % 2 ? 'sleep' : 'session thu')).toHaveLength(i % 2 ? 2 : 1);
  });
});

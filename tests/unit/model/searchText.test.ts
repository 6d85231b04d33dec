import { describe, expect, it } from 'vitest';
import { normalise, queryTerms, snippet, tokenise, type SnippetPart } from '$lib/model/searchText';
import { SEARCH_MAX_TOKEN_CHARS } from '$lib/protocol/limits';

const marked = (parts: SnippetPart[]) => parts.filter((p) => p.match).map((p) => p.text);
const joined = (parts: SnippetPart[]) => parts.map((p) => p.text).join('');

describe('search text', () => {
  it('compares words without case or accents, however they were composed', () => {
    expect(normalise('Café DÉJÀ')).toBe('cafe deja');
    // "é" as one code point and as "e" followed by a combining accent are the same word.
    expect(tokenise('caf\u00e9 cafe\u0301 CAFE')).toEqual(['cafe', 'cafe', 'cafe']);
    expect(tokenise('ﬁnal Ｗｉｄｅ')).toEqual(['final', 'wide']);
  });

  it('splits words on anything but letters and digits, in any script', () => {
    expect(tokenise("Don't panic: 3 sessions!")).toEqual(['don', 't', 'panic', '3', 'sessions']);
    expect(tokenise('Привет, мир — γειά σου')).toEqual(['привет', 'мир', 'γεια', 'σου']);
    expect(tokenise('   ...  ')).toEqual([]);
  });

  it('makes each Chinese or Japanese character a word, since those scripts have no spaces', () => {
    expect(tokenise('東京で会いましょう ok')).toEqual([
      '東',
      '京',
      'て',
      '会',
      'い',
      'ま',
      'し',
      'ょ',
      'う',
      'ok',
    ]);
  });

  it('cuts very long words, the same way for messages and queries', () => {
    const long = 'a'.repeat(SEARCH_MAX_TOKEN_CHARS + 10);
    expect(tokenise(long)).toEqual(['a'.repeat(SEARCH_MAX_TOKEN_CHARS)]);
    expect(queryTerms(`${long} `)?.exact).toEqual(tokenise(long));
  });

  it('treats the word being typed as a prefix, and a finished one as a whole word', () => {
    expect(queryTerms('Sleep ANX')).toEqual({ exact: ['sleep'], prefix: 'anx' });
    expect(queryTerms('sleep anxiety ')).toEqual({ exact: ['sleep', 'anxiety'], prefix: null });
    expect(queryTerms('sleep sleep,')).toEqual({ exact: ['sleep'], prefix: null });
    expect(queryTerms('  !? ')).toBeNull();
  });

  it('marks the matched words where they are in the text as written', () => {
    const parts = snippet('Anxiety before Thursday; the ANXIOUS feeling passed.', queryTerms('anx')!, 200);
    expect(marked(parts)).toEqual(['Anxiety', 'ANXIOUS']);
    expect(joined(parts)).toBe('Anxiety before Thursday; the ANXIOUS feeling passed.');
    const accented = snippet('Un café à Zürich', queryTerms('zurich cafe ')!, 200);
    expect(marked(accented)).toEqual(['café', 'Zürich']);
  });

  it('shows a window around the first match of a long message, with ellipses where it was cut', () => {
    const text = `${'word '.repeat(100)}the appointment moved ${'more '.repeat(100)}`;
    const parts = snippet(text, queryTerms('appoint')!, 80);
    expect(marked(parts)).toEqual(['appointment']);
    expect(parts[0]).toEqual({ text: '…', match: false });
    expect(parts.at(-1)).toEqual({ text: '…', match: false });
    expect(joined(parts).length).toBeLessThanOrEqual(80 + 2);
  });
});

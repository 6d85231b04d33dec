import { SEARCH_MAX_TOKEN_CHARS } from '../protocol/limits';

/**
 * How text becomes search terms, the same way for messages and for queries: lower case, compatibility-decomposed
 * (NFKD) with the combining marks dropped, so "Café", "CAFE" and "café" are one word. Words are runs of letters and
 * digits in any script; Chinese and Japanese are written without spaces, so each of their characters is a word of
 * its own (a query for two characters finds messages with both).
 */

/** Scripts written without spaces between words. */
const UNSPACED = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}`;
/** A word of normalised text: one unspaced character, or a run of other letters and digits. */
const TOKEN = new RegExp(String.raw`[${UNSPACED}]|[[\p{L}\p{N}]--[${UNSPACED}]]+`, 'gv');
/** A word of text as written (combining marks included), for marking matches where they are. */
const WORD = new RegExp(String.raw`[${UNSPACED}]|[[\p{L}\p{N}\p{M}]--[${UNSPACED}]]+`, 'gv');
const MARKS = /\p{M}/gu;
// Any code point up to U+007F (controls included: a newline keeps a message plain ASCII).
// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_TOKEN = /[a-z0-9]+/g;

/** Text as the index compares it. */
export function normalise(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/**
 * The words of a text, normalised, in order, each cut to SEARCH_MAX_TOKEN_CHARS. A word may repeat: the index keeps
 * one posting per message whatever the count (removing repeats here took longer than finding the words).
 */
export function tokenise(text: string): string[] {
  // Most messages are plain ASCII: the same words, found without Unicode tables (several times faster).
  const words = ASCII.test(text) ? text.toLowerCase().match(ASCII_TOKEN) : normalise(text).match(TOKEN);
  if (!words) return [];
  for (let i = 0; i < words.length; i++) {
    if (words[i].length > SEARCH_MAX_TOKEN_CHARS) words[i] = cut(words[i]);
  }
  return words;
}

/** What a query asks for: every word in `exact`, and a word that starts with `prefix` (the one being typed). */
export interface QueryTerms {
  exact: string[];
  prefix: string | null;
}

/**
 * The terms of a query. Its last word is a prefix while it is being typed (the query ends inside it); once the
 * query ends with a space or punctuation, it is a whole word like the others. Null when there is no word at all.
 */
export function queryTerms(query: string): QueryTerms | null {
  const normalised = normalise(query);
  const words = normalised.match(TOKEN)?.map(cut) ?? [];
  if (words.length === 0) return null;
  const typing = /[\p{L}\p{N}]$/u.test(normalised);
  const prefix = typing ? (words.pop() as string) : null;
  return { exact: [...new Set(words)], prefix };
}

/** True when a normalised word is one of the terms. */
export function matches(word: string, terms: QueryTerms): boolean {
  return terms.exact.includes(word) || (terms.prefix !== null && word.startsWith(terms.prefix));
}

/** A piece of a snippet: text to show, marked when it is a matched word. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/**
 * Up to `length` characters of `text` around its first matched word, in parts with the matched words marked, and
 * "…" where it was cut. The whole text, unmarked, when nothing matches (the index and the text disagree).
 */
export function snippet(text: string, terms: QueryTerms, length: number): SnippetPart[] {
  const spans: { start: number; end: number }[] = [];
  for (const found of text.matchAll(WORD)) {
    // Nothing after the window around the first match is shown.
    if (spans.length > 0 && found.index > spans[0].start + length) break;
    const word = found[0];
    if (wordMatches(word, terms)) spans.push({ start: found.index, end: found.index + word.length });
  }
  const first = spans[0];
  // Start a little before the first match, at a word's start, so it reads as a sentence rather than a fragment.
  let from = first ? Math.max(0, first.start - Math.floor(length / 4)) : 0;
  if (from > 0) from = text.indexOf(' ', from) + 1 || from;
  if (first && from > first.start) from = first.start;
  const to = Math.min(text.length, Math.max(from + length, first?.end ?? 0));
  const parts: SnippetPart[] = [];
  const push = (part: string, match: boolean) => {
    if (part) parts.push({ text: part, match });
  };
  let at = from;
  for (const span of spans) {
    if (span.start < from) continue;
    if (span.end > to) break;
    push(text.slice(at, span.start), false);
    push(text.slice(span.start, span.end), true);
    at = span.end;
  }
  push(text.slice(at, to), false);
  if (from > 0) parts.unshift({ text: '…', match: false });
  if (to < text.length) parts.push({ text: '…', match: false });
  return parts;
}

/** Whether a word as written is one of the terms. */
function wordMatches(word: string, terms: QueryTerms): boolean {
  // Most words are plain ASCII letters and digits: one token, and lower case is all normalising does to them.
  if (ASCII.test(word)) return matches(cut(word.toLowerCase()), terms);
  return (
    normalise(word)
      .match(TOKEN)
      ?.some((token) => matches(cut(token), terms)) ?? false
  );
}

function cut(word: string): string {
  if (word.length <= SEARCH_MAX_TOKEN_CHARS) return word;
  // Never between the two halves of a surrogate pair: half a character would not survive being stored as UTF-8.
  const end = /[\uD800-\uDBFF]/.test(word[SEARCH_MAX_TOKEN_CHARS - 1])
    ? SEARCH_MAX_TOKEN_CHARS - 1
    : SEARCH_MAX_TOKEN_CHARS;
  return word.slice(0, end);
}

import { seededRandom } from '../../tests/unit/support/prng';
import { ACCENTED_WORDS, COMMON_WORDS, tailWords } from './words';

/** Made-up words in the vocabulary: with the common words, about as many distinct words as a year of messages. */
const TAIL_WORDS = 30_000;
/** Share of words taken from the long tail. */
const TAIL_SHARE = 0.08;

/**
 * Messages as people write them: 3 to 45 words (a few much longer), common words on a Zipf curve, now and then a
 * rare word, a number, a time or an accented word; capitals and punctuation. The same seed writes the same messages.
 */
export class MessageWriter {
  private readonly random: () => number;
  private readonly common: string[];
  private readonly cumulative: number[];
  readonly tail: string[];
  /** Every text written, in order: what the linear-scan reference searches. */
  readonly written: string[] = [];

  constructor(seed: number) {
    this.random = seededRandom(seed);
    this.common = [...new Set(COMMON_WORDS.split(/\s+/).filter(Boolean))];
    let total = 0;
    this.cumulative = this.common.map((_, rank) => (total += 1 / (rank + 1)));
    this.tail = tailWords(this.random, TAIL_WORDS);
  }

  /** The next message's text. */
  write(): string {
    const long = this.random() < 0.05;
    const count = long ? 60 + Math.floor(this.random() * 120) : 3 + Math.floor(this.random() * 43);
    const words: string[] = [];
    for (let i = 0; i < count; i++) {
      let word = this.word();
      if (i === 0 || words[i - 1].endsWith('.')) word = word[0].toUpperCase() + word.slice(1);
      const r = this.random();
      if (r < 0.06) word += ',';
      else if (r < 0.1 && i < count - 1) word += '.';
      words.push(word);
    }
    const text = `${words.join(' ')}${this.random() < 0.8 ? '.' : '?'}`;
    this.written.push(text);
    return text;
  }

  private word(): string {
    const r = this.random();
    if (r < TAIL_SHARE) return this.tail[Math.floor(this.random() ** 2 * this.tail.length)];
    if (r < TAIL_SHARE + 0.01) return ACCENTED_WORDS[Math.floor(this.random() * ACCENTED_WORDS.length)];
    if (r < TAIL_SHARE + 0.03)
      return this.random() < 0.5
        ? String(1 + Math.floor(this.random() * 30))
        : `${1 + Math.floor(this.random() * 12)}pm`;
    return this.common[lowerBound(this.cumulative, this.random() * (this.cumulative.at(-1) as number))];
  }
}

/**
 * About twenty queries a person might type: whole words common and rare, words being typed (prefixes), two and
 * three words, an accent left out, a made-up name from the tail, and one that matches nothing.
 */
export function workspaceQueries(writer: MessageWriter): string[] {
  const [rare, rarer] = [writer.tail[40], writer.tail[4_000]];
  return [
    'sleep',
    'anx',
    'panic attack',
    'thursday appoint',
    'medic',
    'breathing exer',
    'boss deadline',
    'cafe',
    'grief',
    'mum ang',
    'overwh',
    'i feel',
    'the',
    rare,
    rarer.slice(0, 4),
    `${rare} ${rarer}`,
    'journal wri',
    'resched',
    'selfesteem worth',
    'zyzzyva',
  ];
}

function lowerBound(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

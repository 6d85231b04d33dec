import { describe, expect, it } from 'vitest';
import { MessageError, validateMessage } from '$lib/model/errors';
import { MAX_MESSAGE_CHARS } from '$lib/protocol/limits';

function refusal(text: string): MessageError {
  try {
    validateMessage(text);
  } catch (error) {
    if (error instanceof MessageError) return error;
    throw error;
  }
  throw new Error('the message was accepted');
}

describe('checking a message before it is sent', () => {
  it('refuses an empty or whitespace-only message', () => {
    for (const text of ['', ' ', '\n\n', '\t \r\n', '\u00a0']) {
      expect(refusal(text).code, JSON.stringify(text)).toBe('empty');
    }
  });

  it('tells the person what to do about an empty message', () => {
    expect(refusal('   ').message).toMatch(/write something/i);
  });

  it('sends the text without the surrounding whitespace', () => {
    expect(validateMessage('  See you Thursday.\n')).toBe('See you Thursday.');
    expect(validateMessage('line one\n\nline two')).toBe('line one\n\nline two');
  });

  it('accepts a message of exactly the limit, even with whitespace around it', () => {
    const atLimit = 'a'.repeat(MAX_MESSAGE_CHARS);
    expect(validateMessage(atLimit)).toBe(atLimit);
    expect(validateMessage(`  ${atLimit}\n`)).toBe(atLimit);
  });

  it('refuses a message over the limit and names the limit', () => {
    const error = refusal('a'.repeat(MAX_MESSAGE_CHARS + 1));
    expect(error.code).toBe('too_long');
    expect(error.message).toContain(MAX_MESSAGE_CHARS.toLocaleString());
    expect(error.message).toContain((MAX_MESSAGE_CHARS + 1).toLocaleString());
  });
});

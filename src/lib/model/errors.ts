import { MAX_MESSAGE_CHARS } from '../protocol/limits';

export type MessageProblem = 'empty' | 'too_long';

/** A message that cannot be sent as written; the draft is kept. */
export class MessageError extends Error {
  constructor(
    readonly code: MessageProblem,
    message: string,
  ) {
    super(message);
    this.name = 'MessageError';
  }
}

/** Check a message before it is written; throws `MessageError` with words a person can act on. */
export function validateMessage(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new MessageError('empty', 'Write something before sending.');
  if (trimmed.length > MAX_MESSAGE_CHARS) {
    throw new MessageError(
      'too_long',
      `This message is ${trimmed.length.toLocaleString()} characters; the limit is ${MAX_MESSAGE_CHARS.toLocaleString()}. Shorten it or split it into two messages.`,
    );
  }
  return trimmed;
}

import { LONG_MESSAGE_HINT_CHARS, MESSAGE_BURST_COUNT, MESSAGE_BURST_WINDOW_MS } from '../protocol/limits';
import type { MessageView } from './conversation';

/**
 * Gentle etiquette for clients (the UI words and shows them; never to therapists): a draft long enough that it may
 * suit a session better, and several messages in a short time with no reply yet.
 */

/** True when a draft is longer than `LONG_MESSAGE_HINT_CHARS`. */
export function isLongDraft(draft: string): boolean {
  return draft.trim().length > LONG_MESSAGE_HINT_CHARS;
}

/**
 * True when this person's latest messages, with no reply from anyone since (an automatic away message is not one),
 * include `MESSAGE_BURST_COUNT` sent within `MESSAGE_BURST_WINDOW_MS`.
 */
export function isMessageBurst(messages: MessageView[]): boolean {
  const run: number[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.mine) run.unshift(m.at);
    else if (!m.auto) break;
  }
  for (let i = 0; i + MESSAGE_BURST_COUNT - 1 < run.length; i++) {
    if (run[i + MESSAGE_BURST_COUNT - 1] - run[i] <= MESSAGE_BURST_WINDOW_MS) return true;
  }
  return false;
}

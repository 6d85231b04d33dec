import type { MessageState } from './db';

export type { MessageState };

const ORDER: Record<MessageState, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: -1 };

/**
 * The one transition function for message states: it only moves forward (queued -> sent -> delivered -> read).
 * `failed` is reachable only from `queued`; a message the relay acked is never failed afterwards.
 */
export function advance(current: MessageState, next: MessageState): MessageState {
  if (next === 'failed') return current === 'queued' ? 'failed' : current;
  if (current === 'failed') return next === 'queued' ? current : next;
  return ORDER[next] > ORDER[current] ? next : current;
}

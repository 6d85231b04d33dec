import { describe, expect, it } from 'vitest';
import { MESSAGE_STATES } from '$lib/store/db';
import { advance, type MessageState } from '$lib/model/messageState';

const FORWARD: MessageState[] = ['queued', 'sent', 'delivered', 'read'];

describe('message state transitions', () => {
  it('moves forward along queued, sent, delivered, read, skipping steps when needed', () => {
    for (let from = 0; from < FORWARD.length; from++) {
      for (let to = from + 1; to < FORWARD.length; to++) {
        expect(advance(FORWARD[from], FORWARD[to]), `${FORWARD[from]} -> ${FORWARD[to]}`).toBe(FORWARD[to]);
      }
    }
  });

  it('never moves backwards: a late or repeated event leaves the state where it is', () => {
    for (let from = 0; from < FORWARD.length; from++) {
      for (let to = 0; to <= from; to++) {
        expect(advance(FORWARD[from], FORWARD[to]), `${FORWARD[from]} -> ${FORWARD[to]}`).toBe(FORWARD[from]);
      }
    }
  });

  it('fails a message only while it is queued', () => {
    expect(advance('queued', 'failed')).toBe('failed');
    for (const state of ['sent', 'delivered', 'read'] as const) {
      expect(advance(state, 'failed'), `${state} -> failed`).toBe(state);
    }
  });

  it('never returns a failed message to queued', () => {
    expect(advance('failed', 'queued')).toBe('failed');
    expect(advance('failed', 'failed')).toBe('failed');
  });

  it('lets a failed message move on once the relay is known to have stored it after all', () => {
    // The transition function allows failed -> sent/delivered/read: evidence the message arrived outranks
    // the earlier failure.
    for (const state of ['sent', 'delivered', 'read'] as const) {
      expect(advance('failed', state), `failed -> ${state}`).toBe(state);
    }
  });

  it('only ever returns one of the persisted states', () => {
    for (const from of MESSAGE_STATES) {
      for (const to of MESSAGE_STATES) expect(MESSAGE_STATES).toContain(advance(from, to));
    }
  });
});

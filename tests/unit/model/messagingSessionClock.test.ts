import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { Conversation } from '$lib/model/conversation';
import { MessagingSessionError } from '$lib/model/messagingSessions';
import { MAX_CLOCK_SKEW_MS } from '$lib/protocol/limits';
import { clientConversation, sessionEntry } from '../support/clientConversation';
import { fromElsewhere } from '../support/offlineConversation';

const MINUTE = 60_000;
const CLIENT = 'Sam Okafor';
const NOW = new Date('2030-03-04T10:00:00Z').getTime();

describe('messaging sessions dated ahead of this device’s clock', () => {
  const chat = clientConversation(CLIENT);

  /** A therapist's conversation, offline, where the client has started a session at `at`. */
  async function withClientSessionAt(
    at: number,
  ): Promise<{ conversation: Conversation; entry: { id: string } }> {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const conversation = await chat.open();
    const entry = sessionEntry(chat.client, at, 60);
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').push([entry]));
    return { conversation, entry };
  }

  it('ignores one dated further ahead than clocks drift, so it neither runs nor blocks a new one', async () => {
    const { conversation } = await withClientSessionAt(NOW + 24 * 60 * MINUTE);

    expect(conversation.messagingSessions()).toEqual([]);
    expect(conversation.runningMessagingSession()).toBeNull();
    await conversation.startMessagingSession(15);
    expect(conversation.runningMessagingSession()).toMatchObject({ byName: 'You', minutes: 15, at: NOW });
  });

  it('runs one dated a little ahead only once its time comes, and does not start another over it', async () => {
    const { conversation, entry: early } = await withClientSessionAt(NOW + MAX_CLOCK_SKEW_MS);

    expect(conversation.messagingSessions().map((s) => s.id)).toEqual([early.id]);
    expect(conversation.runningMessagingSession()).toBeNull();
    const error = await conversation.startMessagingSession(15).catch((e: unknown) => e);
    expect((error as MessagingSessionError).code).toBe('already_running');

    vi.setSystemTime(NOW + MAX_CLOCK_SKEW_MS);
    expect(conversation.runningMessagingSession()?.id).toBe(early.id);
  });
});

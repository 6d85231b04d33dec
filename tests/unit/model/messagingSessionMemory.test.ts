import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { MessagingSessionError } from '$lib/model/messagingSessions';
import { type MessagingSessionEntry, RoomRecord } from '$lib/model/schemas';
import { clientConversation, sessionEntry } from '../support/clientConversation';
import { fromElsewhere } from '../support/offlineConversation';

const MINUTE = 60_000;
const CLIENT = 'Sam Okafor';

describe('a messaging session this device has counted', () => {
  const chat = clientConversation(CLIENT);

  /** A therapist's conversation, offline, where the client started a 30-minute session 5 minutes ago. */
  async function withClientSession(): Promise<MessagingSessionEntry> {
    const conversation = await chat.open();
    const real = sessionEntry(chat.client, Date.now() - 5 * MINUTE, 30);
    fromElsewhere(conversation, (doc) => doc.getArray('sessions').push([real]));
    // The device remembers it in the room's sealed record.
    await vi.waitFor(() => expect(conversation.record.sessions?.map((s) => s.id)).toEqual([real.id]));
    expect(RoomRecord.parse(conversation.record).sessions).toEqual([real]);
    return real;
  }

  function sessionLines(): string[] {
    return chat.conversation
      .auditTrail()
      .filter((l) => l.kind.startsWith('session'))
      .map((l) => l.text);
  }

  it('is not replaced by an entry added later and dated a little before it', async () => {
    const real = await withClientSession();
    const backdated = sessionEntry(chat.client, real.at - 1_000, 15);
    fromElsewhere(chat.conversation, (doc) => doc.getArray('sessions').push([backdated]));

    expect(chat.conversation.messagingSessions().map((s) => s.id)).toEqual([real.id]);
    expect(chat.conversation.runningMessagingSession()?.id).toBe(real.id);
  });

  it('is not replaced by a backdated entry slipped in before it in the document', async () => {
    const real = await withClientSession();
    const backdated = sessionEntry(chat.client, real.at - 1_000, 15);
    fromElsewhere(chat.conversation, (doc) => doc.getArray('sessions').insert(0, [backdated]));

    expect(chat.conversation.messagingSessions().map((s) => s.id)).toEqual([real.id]);
    expect(sessionLines()).toEqual([`${CLIENT} started a 30-minute messaging session`]);
  });

  it('still shows, runs its time and blocks another when its entry is deleted', async () => {
    const real = await withClientSession();
    fromElsewhere(chat.conversation, (doc) => doc.getArray('sessions').delete(0, 1));
    expect(chat.conversation.doc.getArray('sessions').length).toBe(0);

    expect(chat.conversation.runningMessagingSession()?.id).toBe(real.id);
    expect(sessionLines()).toEqual([`${CLIENT} started a 30-minute messaging session`]);
    const error = await chat.conversation.startMessagingSession(15).catch((e: unknown) => e);
    expect((error as MessagingSessionError).code).toBe('already_running');
  });
});

import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { AWAY_MAP, shownAway } from '$lib/model/awayReply';
import { AuditEntry, MessageEntry, MessagingSessionEntry, TopicEntry } from '$lib/model/schemas';
import { summarize } from '$lib/model/summaries';
import { toHex } from '$lib/protocol/hex';
import { MAX_TIMESTAMP_MS } from '$lib/protocol/limits';
import { clientConversation } from '../support/clientConversation';
import { fromElsewhere } from '../support/offlineConversation';

const CLIENT = 'Sam Okafor';
const BAD_TIMES = [1e300, MAX_TIMESTAMP_MS + 1, -1, 1.5, Number.MAX_SAFE_INTEGER];

describe('times a peer writes into the conversation document', () => {
  const chat = clientConversation(CLIENT);

  it('drops a message dated where no calendar can show it, and keeps the rest of the conversation working', async () => {
    const conversation = await chat.open(['Hello']);
    const good = conversation.messages()[0].at;

    const farAhead = { id: crypto.randomUUID(), by: chat.client, n: 2, text: 'Later', at: 1e300 };
    fromElsewhere(conversation, (doc) => doc.getArray('messages').push([farAhead]));

    expect(conversation.messages().map((m) => m.text)).toEqual(['Hello']);
    expect(conversation.unreadCount()).toBe(1);
    const summary = summarize(conversation, toHex(chat.keyring.identity.signPublic));
    expect(summary.waitingSince).toBe(good);
    expect(() => new Date(summary.lastActivity).toISOString()).not.toThrow();
  });

  it('refuses a time past the limit, before 1970 or between milliseconds in every entry a peer writes', () => {
    const by = 'a'.repeat(64);
    const id = crypto.randomUUID();
    const samples = [
      [MessageEntry, { id, by, n: 1, text: 'Hi', at: 0 }],
      [AuditEntry, { id, kind: 'joined', by, at: 0 }],
      [TopicEntry, { topic: 'Sessions', by, at: 0, index: 1 }],
      [MessagingSessionEntry, { id, by, at: 0, minutes: 30 }],
    ] as const;
    for (const [schema, entry] of samples) {
      expect(schema.safeParse({ ...entry, at: MAX_TIMESTAMP_MS }).success).toBe(true);
      for (const at of BAD_TIMES) expect(schema.safeParse({ ...entry, at }).success).toBe(false);
    }
    const away = new Y.Doc().getMap(AWAY_MAP);
    const later = crypto.randomUUID();
    const automatic = [id, later].map((mid, n) => ({
      id: mid,
      by,
      n: n + 1,
      text: 'Away',
      at: 0,
      auto: 'away' as const,
    }));
    const people = new Map([[by, { name: 'Dr. Away', role: 'therapist' as const, replyPromise: '' }]]);
    away.set('2030-01-01', { id, by, at: 1e300 });
    away.set('2030-01-02', { id: later, by, at: MAX_TIMESTAMP_MS });
    expect(shownAway(away, automatic, people).has(id)).toBe(false);
    expect(shownAway(away, automatic, people).size).toBe(1);
  });
});

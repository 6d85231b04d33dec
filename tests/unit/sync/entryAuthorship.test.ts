import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { authorStanding, type TrustedDevice } from '$lib/sync/deviceTrust';
import { EntryAuthorship, entryAuthorship } from '$lib/sync/entryAuthorship';

const MEMBER = 'a'.repeat(64);
const THERAPIST = 'b'.repeat(64);
const LINKED_DEVICE = 'c'.repeat(64);

/** A device's document in sync with `shared`, and the updates its next change produces. */
function writerOf(shared: Y.Doc): { doc: Y.Doc; change: (fn: (doc: Y.Doc) => void) => Uint8Array } {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(shared));
  return {
    doc,
    change(fn) {
      const updates: Uint8Array[] = [];
      const take = (update: Uint8Array) => updates.push(update);
      doc.on('update', take);
      doc.transact(() => fn(doc));
      doc.off('update', take);
      return Y.mergeUpdates(updates);
    },
  };
}

function entry(by: string, extra: Record<string, unknown> = {}) {
  return { id: crypto.randomUUID(), by, at: 1_700_000_000_000, ...extra };
}

/** A conversation where the therapist has introduced themselves, written a message and a receipt. */
function conversation(): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    doc.getMap('people').set(THERAPIST, { name: 'Dr. Ada Moss', role: 'therapist' });
    doc.getMap('receipts').set(THERAPIST, { read: 1 });
    doc.getArray('messages').push([entry(THERAPIST, { n: 1, text: 'hello' })]);
    doc.getArray('audit').push([entry(THERAPIST, { kind: 'created' })]);
  });
  return doc;
}

describe('entries written in the name of the update’s author', () => {
  it('passes honest entries of every kind, at the end of existing ones and as first entries', () => {
    const reader = conversation();
    const { change } = writerOf(reader);
    const update = change((doc) => {
      doc.getArray('messages').push([entry(MEMBER, { n: 2, text: 'hi' })]);
      doc.getArray('audit').push([entry(MEMBER, { kind: 'joined' }), entry(MEMBER, { kind: 'key-changed' })]);
      doc.getArray('topics').push([entry(MEMBER, { text: 'sleep' })]);
      doc.getArray('sessions').push([entry(MEMBER, { minutes: 30 })]);
      doc.getMap('people').set(MEMBER, { name: 'Kit', role: 'client' });
      doc.getMap('receipts').set(MEMBER, { read: 2 });
      doc.getMap('away').set('2026-12-04', entry(MEMBER));
      doc.getMap('meta').set('topic', 'Anything goes here');
    });
    expect(entryAuthorship(reader, update, MEMBER)).toBe('ok');
  });

  it.each([
    ['a message', (doc: Y.Doc) => doc.getArray('messages').push([entry(THERAPIST, { n: 2, text: 'x' })])],
    ['an audit line', (doc: Y.Doc) => doc.getArray('audit').push([entry(MEMBER), entry(THERAPIST)])],
    ['a topic', (doc: Y.Doc) => doc.getArray('topics').push([entry(THERAPIST, { text: 'x' })])],
    ['a session', (doc: Y.Doc) => doc.getArray('sessions').push([entry(THERAPIST, { minutes: 5 })])],
    ['an away marker', (doc: Y.Doc) => doc.getMap('away').set('2026-12-04', entry(THERAPIST))],
    ['an away value without a writer', (doc: Y.Doc) => doc.getMap('away').set('2026-12-04', 'x')],
    ['a new introduction', (doc: Y.Doc) => doc.getMap('people').set('d'.repeat(64), { name: 'X' })],
    ['a new receipt', (doc: Y.Doc) => doc.getMap('receipts').set('d'.repeat(64), { read: 9 })],
    ['a changed introduction', (doc: Y.Doc) => doc.getMap('people').set(THERAPIST, { name: 'Impostor' })],
    ['a changed receipt', (doc: Y.Doc) => doc.getMap('receipts').set(THERAPIST, { read: 0 })],
  ])('refuses %s in someone else’s name', (_, forge) => {
    const reader = conversation();
    const update = writerOf(reader).change(forge);
    expect(entryAuthorship(reader, update, MEMBER)).toBe('forged_author');
  });

  it('leaves nested and other top-level types alone, and deletions of others’ entries', () => {
    const reader = conversation();
    const update = writerOf(reader).change((doc) => {
      const nested = new Y.Map<unknown>();
      doc.getMap('meta').set('nested', nested);
      nested.set('entry', entry(THERAPIST));
      doc.getArray('messages').delete(0, 1);
    });
    expect(entryAuthorship(reader, update, MEMBER)).toBe('ok');
  });

  it('passes a linked device’s entries in the name of the identity it acts for', () => {
    const devices = new Map<string, TrustedDevice>([
      [LINKED_DEVICE, { identity: MEMBER, revokedAt: 0, lastSeq: 0, boxPublic: new Uint8Array(32) }],
    ]);
    const standing = authorStanding(LINKED_DEVICE, 5, new Set([MEMBER, THERAPIST]), devices);
    expect(standing).toEqual({ ok: true, identity: MEMBER });
    const reader = conversation();
    const update = writerOf(reader).change((doc) => {
      doc.getArray('messages').push([entry(MEMBER, { n: 2, text: 'from my phone' })]);
      doc.getMap('receipts').set(MEMBER, { read: 1 });
    });
    expect(entryAuthorship(reader, update, standing.ok ? standing.identity : '')).toBe('ok');
    expect(entryAuthorship(reader, update, LINKED_DEVICE)).toBe('forged_author');
  });

  it('finds where an entry goes through updates checked earlier in the same batch', () => {
    const reader = conversation();
    const therapist = writerOf(reader);
    const member = writerOf(reader);
    const first = therapist.change((doc) => doc.getMap('receipts').set(THERAPIST, { read: 2 }));
    Y.applyUpdate(member.doc, first);
    const second = member.change((doc) => doc.getMap('receipts').set(THERAPIST, { read: 0 }));
    const batch = new EntryAuthorship(reader);
    expect(batch.check(first, THERAPIST)).toBe('ok');
    expect(batch.check(second, MEMBER)).toBe('forged_author');

    const honest = therapist.change((doc) => doc.getMap('receipts').set(THERAPIST, { read: 3 }));
    expect(batch.check(honest, THERAPIST)).toBe('ok');
  });

  it('judges an entry waiting for missing changes by its content', () => {
    const reader = conversation();
    const member = writerOf(reader);
    member.change((doc) => doc.getArray('messages').push([entry(MEMBER, { n: 2, text: 'lost' })]));
    const honest = member.change((doc) =>
      doc.getArray('messages').push([entry(MEMBER, { n: 3, text: 'ok' })]),
    );
    const forged = member.change((doc) =>
      doc.getArray('messages').push([entry(THERAPIST, { n: 4, text: 'x' })]),
    );
    expect(entryAuthorship(reader, honest, MEMBER)).toBe('ok');
    expect(entryAuthorship(reader, forged, MEMBER)).toBe('forged_author');
  });

  it('says an update that does not decode is malformed', () => {
    expect(entryAuthorship(new Y.Doc(), new Uint8Array([1, 2, 3]), MEMBER)).toBe('malformed');
  });
});

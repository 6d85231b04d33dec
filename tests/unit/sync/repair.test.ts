import * as Y from 'yjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cryptoReady } from '$lib/crypto';
import { isStuck, repairRequest, repairResponse } from '$lib/sync/repair';

function writer(texts: string[]): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (const text of texts) doc.getArray('messages').push([text]);
  return { doc, updates };
}

describe('repairing a document stuck behind a refused update', () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it('a reader missing one update is stuck, and the writer’s answer fills exactly the gap', () => {
    const { doc: author, updates } = writer(['one', 'two', 'three', 'four']);
    const reader = new Y.Doc();
    Y.applyUpdate(reader, updates[0]);
    Y.applyUpdate(reader, updates[2]); // 'two' was refused on the way
    Y.applyUpdate(reader, updates[3]);
    expect(isStuck(reader)).toBe(true);
    expect(reader.getArray('messages').toArray()).toEqual(['one']);

    const answer = repairResponse(author, repairRequest(reader));
    expect(answer).not.toBeNull();
    Y.applyUpdate(reader, answer as Uint8Array);
    expect(isStuck(reader)).toBe(false);
    expect(reader.getArray('messages').toArray()).toEqual(['one', 'two', 'three', 'four']);
  });

  it('a device with nothing the requester lacks does not answer', () => {
    const { doc: author, updates } = writer(['one', 'two']);
    const reader = new Y.Doc();
    for (const update of updates) Y.applyUpdate(reader, update);
    expect(isStuck(reader)).toBe(false);
    expect(repairResponse(author, repairRequest(reader))).toBeNull();
  });

  it('ignores requests that are not state vectors', () => {
    const { doc } = writer(['one']);
    expect(repairResponse(doc, 42)).toBeNull();
    expect(repairResponse(doc, '%%% not base64url')).toBeNull();
  });
});

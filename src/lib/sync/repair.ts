import * as Y from 'yjs';
import { fromBase64Url, toBase64Url } from '../crypto';
import { entryAuthorship } from './entryAuthorship';

/**
 * Recovering from a refused envelope. Yjs applies an author's changes in order, so when one envelope is refused
 * (altered on the way, say) everything that author wrote after it waits forever for the missing piece. A stuck
 * device says what it has, as its state vector in the document's `repair` map under its own key; any device that
 * has more answers with exactly what is missing, as a fresh update that it signs and seals itself. The altered
 * bytes are never used: what arrives instead is the author's own content again, under a valid signature.
 */
export const REPAIR_MAP = 'repair';

/** True while the document holds changes it cannot apply for want of earlier ones. */
export function isStuck(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

/** What a stuck device publishes: its state vector. */
export function repairRequest(doc: Y.Doc): string {
  return toBase64Url(Y.encodeStateVector(doc));
}

/**
 * The part of a request this person can fill: every change the requester lacks from each Yjs client whose missing
 * changes are all in `identity`'s name (hex signing key), as one update; null when there is none (or the request is
 * not a state vector). Whoever wrote the rest answers for it. Judged client by client, because the requester's own
 * later writes (the request itself, a receipt) or a third member's are also missing from its vector: taken together,
 * one of them would make the whole answer someone else's entries in this person's update, refused as forged.
 */
export function repairResponse(doc: Y.Doc, request: unknown, identity: string): Uint8Array | null {
  if (typeof request !== 'string') return null;
  let theirs: Map<number, number>;
  try {
    theirs = Y.decodeStateVector(fromBase64Url(request));
  } catch {
    return null;
  }
  const mine = Y.decodeStateVector(Y.encodeStateVector(doc));
  const parts: Uint8Array[] = [];
  for (const [client, clock] of mine) {
    const theirClock = theirs.get(client) ?? 0;
    if (clock <= theirClock) continue;
    // Counting every other client as held leaves just this client's missing changes in the update.
    const held = new Map(mine).set(client, theirClock);
    const part = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(held));
    if (entryAuthorship(doc, part, identity) === 'ok') parts.push(part);
  }
  return parts.length === 0 ? null : Y.mergeUpdates(parts);
}

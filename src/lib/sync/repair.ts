import * as Y from 'yjs';
import { fromBase64Url, toBase64Url } from '../crypto';

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
 * The update that fills a request, or null when this device has nothing the requester lacks (or the request is
 * not a state vector).
 */
export function repairResponse(doc: Y.Doc, request: unknown): Uint8Array | null {
  if (typeof request !== 'string') return null;
  let theirs: Map<number, number>;
  let vector: Uint8Array;
  try {
    vector = fromBase64Url(request);
    theirs = Y.decodeStateVector(vector);
  } catch {
    return null;
  }
  const mine = Y.decodeStateVector(Y.encodeStateVector(doc));
  const ahead = [...mine].some(([client, clock]) => clock > (theirs.get(client) ?? 0));
  return ahead ? Y.encodeStateAsUpdate(doc, vector) : null;
}

import * as Y from 'yjs';
import { PERSONAL_MAPS, SIGNED_ARRAYS, SIGNED_MAPS } from '../protocol/documentRoots';

/**
 * Whether an update writes entries only in its author's name. An envelope's signature says which device wrote the
 * update, and the device's standing which person it acts for; the entries inside name a person too (`by`, or the
 * key of a personal map). Without this check a member could write a message, a receipt or an introduction as
 * someone else. Checked for each update envelope before it is applied; snapshots are whole documents and are not.
 *
 * Where an entry goes: an encoded item names its parent (a root type's name, or a nested type) only when it has no
 * neighbour; otherwise Yjs takes the parent, and a map item its key, from the neighbour it was inserted next to.
 * That neighbour is found in the same update, in updates accepted earlier in the same batch, or in the document.
 * An item whose neighbour is nowhere yet (it waits for changes that have not arrived) is judged by its content
 * alone: every value naming a `by` must name the author. Deletions carry no author and are not checked.
 */

type Struct = Y.Item | Y.GC | Y.Skip;

type Place = { kind: 'root'; name: string; key: string | null } | { kind: 'nested' } | { kind: 'unknown' };

export type AuthorshipVerdict = 'ok' | 'forged_author' | 'malformed';

/** How many neighbours to follow from one item before giving up on where it goes. */
const MAX_NEIGHBOUR_STEPS = 100_000;

export class EntryAuthorship {
  private readonly earlier = new Map<number, Struct[]>();

  constructor(private readonly doc: Y.Doc) {}

  /**
   * Check `update` for the person `identity` (hex signing key). A passing update is remembered, so that the
   * next updates of the same batch, applied together after it, can build on its entries.
   */
  check(update: Uint8Array, identity: string): AuthorshipVerdict {
    let structs: Struct[];
    try {
      structs = Y.decodeUpdate(update).structs as Struct[];
    } catch {
      return 'malformed';
    }
    const own = indexByClient(structs);
    const places = new Map<Y.Item, Place>();
    const roots = rootNames(this.doc);
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) continue;
      const place = this.placeOf(struct, own, places, roots);
      if (!authored(struct, place, identity)) return 'forged_author';
    }
    for (const [client, list] of own) {
      const merged = [...(this.earlier.get(client) ?? []), ...list];
      this.earlier.set(
        client,
        merged.sort((a, b) => a.id.clock - b.id.clock),
      );
    }
    return 'ok';
  }

  private placeOf(
    start: Y.Item,
    own: Map<number, Struct[]>,
    places: Map<Y.Item, Place>,
    roots: Map<unknown, string>,
  ): Place {
    const path: Y.Item[] = [];
    let item: Y.Item = start;
    let place: Place | undefined;
    for (let step = 0; place === undefined; step++) {
      place = places.get(item) ?? ownPlace(item, roots);
      if (place !== undefined) break;
      path.push(item);
      const neighbour = item.origin ?? item.rightOrigin;
      const next = neighbour ? this.find(neighbour, own) : null;
      if (!(next instanceof Y.Item) || step >= MAX_NEIGHBOUR_STEPS) place = { kind: 'unknown' };
      else item = next;
    }
    for (const visited of path) places.set(visited, place);
    return place;
  }

  private find(id: Y.ID, own: Map<number, Struct[]>): Struct | null {
    return (
      findIn(own.get(id.client), id.clock) ??
      findIn(this.earlier.get(id.client), id.clock) ??
      findIn(this.doc.store.clients.get(id.client) as Struct[] | undefined, id.clock)
    );
  }
}

/** The check for one update against a document, on its own. */
export function entryAuthorship(doc: Y.Doc, update: Uint8Array, identity: string): AuthorshipVerdict {
  return new EntryAuthorship(doc).check(update, identity);
}

/** Where an item says it goes, or undefined when it goes next to a neighbour. */
function ownPlace(item: Y.Item, roots: Map<unknown, string>): Place | undefined {
  const parent: unknown = item.parent;
  if (typeof parent === 'string') return { kind: 'root', name: parent, key: item.parentSub };
  if (parent instanceof Y.ID) return { kind: 'nested' };
  if (parent instanceof Y.AbstractType) {
    const name = roots.get(parent);
    return name === undefined ? { kind: 'nested' } : { kind: 'root', name, key: item.parentSub };
  }
  return undefined;
}

function authored(item: Y.Item, place: Place, identity: string): boolean {
  if (place.kind === 'nested') return true;
  const values = valuesOf(item.content);
  if (place.kind === 'unknown') return values === null || values.every((v) => !hasBy(v) || v.by === identity);
  if (PERSONAL_MAPS.has(place.name)) return place.key === identity;
  const signedArray = SIGNED_ARRAYS.has(place.name);
  if (!signedArray && !SIGNED_MAPS.has(place.name)) return true;
  if (item.content instanceof Y.ContentDeleted) return true;
  if (values === null) return false;
  return signedArray
    ? values.every((v) => !hasBy(v) || v.by === identity)
    : values.every((v) => hasBy(v) && v.by === identity);
}

/** The JSON values an item holds, or null for any other content (text, binary, nested types, deleted). */
function valuesOf(content: Y.Item['content']): unknown[] | null {
  if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) return content.getContent();
  return null;
}

function hasBy(value: unknown): value is { by: unknown } {
  return typeof value === 'object' && value !== null && 'by' in value;
}

function indexByClient(structs: Struct[]): Map<number, Struct[]> {
  const out = new Map<number, Struct[]>();
  for (const struct of structs) {
    const list = out.get(struct.id.client);
    if (list) list.push(struct);
    else out.set(struct.id.client, [struct]);
  }
  return out;
}

/** The struct covering `clock` in a client's list sorted by clock, if any. */
function findIn(list: Struct[] | undefined, clock: number): Struct | null {
  if (!list || list.length === 0) return null;
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const struct = list[mid];
    if (clock < struct.id.clock) high = mid - 1;
    else if (clock >= struct.id.clock + struct.length) low = mid + 1;
    else return struct;
  }
  return null;
}

function rootNames(doc: Y.Doc): Map<unknown, string> {
  const out = new Map<unknown, string>();
  for (const [name, type] of doc.share) out.set(type, name);
  return out;
}

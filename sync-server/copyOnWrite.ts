/**
 * Short lists kept per socket, room or device (listeners, sockets) are replaced on every change rather than changed:
 * a loop over one never sees it change, and each new list is exactly its length. (Spread, filter and push leave spare
 * capacity in V8, up to 16 slots, which an idle server would hold for every such list.)
 */

/** `list` with `item` added at the end. */
export function appended<T>(list: readonly T[] | undefined, item: T): readonly T[] {
  return list ? list.concat([item]) : [item];
}

/** `list` without `item`, or `list` itself if `item` is not in it. */
export function removed<T>(list: readonly T[], item: T): readonly T[] {
  const index = list.indexOf(item);
  return index < 0 ? list : list.slice(0, index).concat(list.slice(index + 1));
}

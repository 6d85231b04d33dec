import { toHex } from '../src/lib/protocol/hex';
import type { Delivery } from '../src/lib/protocol/frames';

/**
 * What a room's live subscribers hear about: envelopes from one commit; `members`: its members, their devices, its
 * membership log or its key bundles changed (subscribers reread them from storage, the source of truth); or
 * `resync`: this process may have missed events of the room (its link to other relays was down), so read from
 * storage.
 */
export type RoomEvent =
  | { type: 'appended'; room: Uint8Array; deliveries: Delivery[] }
  | { type: 'members'; room: Uint8Array }
  | { type: 'resync'; room: Uint8Array };

export type RoomListener = (event: RoomEvent) => void;

/**
 * Room pub/sub between the code that commits and the sockets that subscribe: in-process (LocalFanout), or across
 * relay processes through Redis (fanout/redis.ts) when REDIS_URL is set.
 */
export interface Fanout {
  /** Hand `event` to every listener of its room, synchronously, in subscription order. */
  publish(event: RoomEvent): void;
  /** Listen to `room` until the returned function is called. */
  subscribe(room: Uint8Array, listener: RoomListener): () => void;
  /** Tell every socket acting for `identity` that the rooms it belongs to changed (it was added or left). */
  publishRooms(identity: Uint8Array): void;
  /** Listen for changes of `identity`'s rooms until the returned function is called. */
  subscribeRooms(identity: Uint8Array, listener: () => void): () => void;
  /** Resolves when the fan-out can reach its peers (for /healthz); always, in-process. */
  ping(): Promise<void>;
  /** Stop; events published before this still go out. */
  close(): Promise<void>;
}

export class LocalFanout implements Fanout {
  private readonly rooms = new Map<string, Set<RoomListener>>();
  private readonly identities = new Map<string, Set<() => void>>();

  publish(event: RoomEvent): void {
    const listeners = this.rooms.get(toHex(event.room));
    if (!listeners) return;
    for (const listener of [...listeners]) listener(event);
  }

  subscribe(room: Uint8Array, listener: RoomListener): () => void {
    return listen(this.rooms, toHex(room), listener);
  }

  publishRooms(identity: Uint8Array): void {
    for (const listener of [...(this.identities.get(toHex(identity)) ?? [])]) listener();
  }

  subscribeRooms(identity: Uint8Array, listener: () => void): () => void {
    return listen(this.identities, toHex(identity), listener);
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  hasListeners(room: Uint8Array): boolean {
    return this.rooms.has(toHex(room));
  }

  /** Hex ids of the rooms someone listens to now. */
  listenedRooms(): string[] {
    return [...this.rooms.keys()];
  }
}

/** Add `listener` under `key`; the returned function removes it, and the key once nobody listens. */
function listen<T>(map: Map<string, Set<T>>, key: string, listener: T): () => void {
  let listeners = map.get(key);
  if (!listeners) {
    listeners = new Set();
    map.set(key, listeners);
  }
  listeners.add(listener);
  const set = listeners;
  return () => {
    set.delete(listener);
    // Nothing of a room (or an identity) stays in memory once no one is listening.
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}

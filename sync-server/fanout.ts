import { toHex } from '../src/lib/protocol/hex';
import type { Delivery } from '../src/lib/protocol/frames';
import { appended, removed } from './copyOnWrite';

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

/**
 * Listeners are objects rather than callbacks, and leave by name rather than through a returned function: a socket
 * holds its registrations for as long as it is open, and closures would add two objects to each.
 */
export interface RoomListener {
  /** The device that reads the room through this listener (a socket's subscription), if any. */
  readonly reader?: Uint8Array;
  /** One of the room's events, in publication order. */
  roomEvent(event: RoomEvent): void;
}

export interface RoomsListener {
  /** The rooms of the identity this listener acts for changed (it was added to one, or left one). */
  roomsChanged(): void;
}

/**
 * Room pub/sub between the code that commits and the sockets that subscribe: in-process (LocalFanout), or across
 * relay processes through Redis (fanout/redis.ts) when REDIS_URL is set.
 */
export interface Fanout {
  /** Hand `event` to every listener of its room, synchronously, in subscription order. */
  publish(event: RoomEvent): void;
  /** Listen to `room` until unsubscribe(room, listener). */
  subscribe(room: Uint8Array, listener: RoomListener): void;
  /** Stop `listener` listening to `room`; nothing if it was not. */
  unsubscribe(room: Uint8Array, listener: RoomListener): void;
  /** This process's listeners of `room` now. */
  listeners(room: Uint8Array): readonly RoomListener[];
  /** Tell every socket acting for `identity` that the rooms it belongs to changed (it was added or left). */
  publishRooms(identity: Uint8Array): void;
  /** Listen for changes of `identity`'s rooms until unsubscribeRooms(identity, listener). */
  subscribeRooms(identity: Uint8Array, listener: RoomsListener): void;
  /** Stop `listener` listening for changes of `identity`'s rooms; nothing if it was not. */
  unsubscribeRooms(identity: Uint8Array, listener: RoomsListener): void;
  /** Resolves when the fan-out can reach its peers (for /healthz); always, in-process. */
  ping(): Promise<void>;
  /** Stop; events published before this still go out. */
  close(): Promise<void>;
}

/** Listeners by room and by identity, in copy-on-write arrays (copyOnWrite.ts): a room or an identity has few. */
export class LocalFanout implements Fanout {
  private readonly rooms = new Map<string, readonly RoomListener[]>();
  private readonly identities = new Map<string, readonly RoomsListener[]>();

  publish(event: RoomEvent): void {
    for (const listener of this.rooms.get(toHex(event.room)) ?? []) listener.roomEvent(event);
  }

  subscribe(room: Uint8Array, listener: RoomListener): void {
    listen(this.rooms, toHex(room), listener);
  }

  unsubscribe(room: Uint8Array, listener: RoomListener): void {
    unlisten(this.rooms, toHex(room), listener);
  }

  listeners(room: Uint8Array): readonly RoomListener[] {
    return this.rooms.get(toHex(room)) ?? [];
  }

  publishRooms(identity: Uint8Array): void {
    for (const listener of this.identities.get(toHex(identity)) ?? []) listener.roomsChanged();
  }

  subscribeRooms(identity: Uint8Array, listener: RoomsListener): void {
    listen(this.identities, toHex(identity), listener);
  }

  unsubscribeRooms(identity: Uint8Array, listener: RoomsListener): void {
    unlisten(this.identities, toHex(identity), listener);
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

function listen<T>(map: Map<string, readonly T[]>, key: string, listener: T): void {
  map.set(key, appended(map.get(key), listener));
}

function unlisten<T>(map: Map<string, readonly T[]>, key: string, listener: T): void {
  const listeners = map.get(key);
  if (!listeners) return;
  const left = removed(listeners, listener);
  // Nothing of a room (or an identity) stays in memory once no one is listening.
  if (left.length > 0) map.set(key, left);
  else map.delete(key);
}

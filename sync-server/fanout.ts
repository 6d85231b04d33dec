import { toHex } from '../src/lib/protocol/hex';
import type { Delivery, Member } from '../src/lib/protocol/frames';

/** What a room's live subscribers hear about: envelopes from one commit, or a changed member list. */
export type RoomEvent =
  | { type: 'appended'; room: Uint8Array; deliveries: Delivery[] }
  | { type: 'members'; room: Uint8Array; members: Member[] };

export type RoomListener = (event: RoomEvent) => void;

/**
 * Room pub/sub between the code that commits and the sockets that subscribe. In-process now; a Redis
 * implementation slots in behind the same interface when relays scale out.
 */
export interface Fanout {
  /** Hand `event` to every listener of its room, synchronously, in subscription order. */
  publish(event: RoomEvent): void;
  /** Listen to `room` until the returned function is called. */
  subscribe(room: Uint8Array, listener: RoomListener): () => void;
}

export class LocalFanout implements Fanout {
  private readonly rooms = new Map<string, Set<RoomListener>>();

  publish(event: RoomEvent): void {
    const listeners = this.rooms.get(toHex(event.room));
    if (!listeners) return;
    for (const listener of [...listeners]) listener(event);
  }

  subscribe(room: Uint8Array, listener: RoomListener): () => void {
    const key = toHex(room);
    let listeners = this.rooms.get(key);
    if (!listeners) {
      listeners = new Set();
      this.rooms.set(key, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      // Nothing of a room stays in memory once no one is listening.
      if (listeners.size === 0 && this.rooms.get(key) === listeners) this.rooms.delete(key);
    };
  }
}

import { toHex } from '../src/lib/protocol/hex';
import type { Delivery, Member, RoomDevice } from '../src/lib/protocol/frames';

/**
 * What a room's live subscribers hear about: envelopes from one commit, a changed member or device list, or `resync`: this
 * process may have missed events of the room (its link to other relays was down), so read from storage.
 */
export type RoomEvent =
  | { type: 'appended'; room: Uint8Array; deliveries: Delivery[] }
  | { type: 'members'; room: Uint8Array; members: Member[]; devices: RoomDevice[] }
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
  /** Resolves when the fan-out can reach its peers (for /healthz); always, in-process. */
  ping(): Promise<void>;
  /** Stop; events published before this still go out. */
  close(): Promise<void>;
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

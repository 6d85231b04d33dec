import { bytesEqual } from '../../src/lib/protocol/hex';
import type { Fanout } from '../fanout';

/**
 * Which devices have a live subscription to which rooms on this relay process: a device that is reading a room
 * needs no push about it. Read from the room's fan-out listeners, which are exactly those subscriptions, rather than
 * kept as a second registry of them.
 */
export class RoomPresence {
  constructor(private readonly fanout: Fanout) {}

  isPresent(room: Uint8Array, device: Uint8Array): boolean {
    return this.fanout
      .listeners(room)
      .some((listener) => listener.reader && bytesEqual(listener.reader, device));
  }
}

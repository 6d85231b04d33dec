import { toHex } from '../../src/lib/protocol/hex';

/**
 * Which devices have a live subscription to which rooms on this relay process: a device that is reading a room
 * needs no push about it. Counted per socket, since a device may subscribe from several.
 */
export class RoomPresence {
  private readonly rooms = new Map<string, Map<string, number>>();

  /** Mark `device` as reading `room`; call the returned function once when that subscription ends. */
  enter(room: Uint8Array, device: Uint8Array): () => void {
    const roomKey = toHex(room);
    const deviceKey = toHex(device);
    let devices = this.rooms.get(roomKey);
    if (!devices) {
      devices = new Map();
      this.rooms.set(roomKey, devices);
    }
    devices.set(deviceKey, (devices.get(deviceKey) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const count = (devices.get(deviceKey) ?? 1) - 1;
      if (count > 0) devices.set(deviceKey, count);
      else devices.delete(deviceKey);
      // Nothing of a room stays in memory once no one reads it.
      if (devices.size === 0 && this.rooms.get(roomKey) === devices) this.rooms.delete(roomKey);
    };
  }

  isPresent(room: Uint8Array, device: Uint8Array): boolean {
    return this.rooms.get(toHex(room))?.has(toHex(device)) ?? false;
  }
}

import { toHex } from '../../src/lib/protocol/hex';

/**
 * Which devices have a live subscription to which rooms on this relay process: a device that is reading a room
 * needs no push about it. Counted per socket, since a device may subscribe from several.
 */
export class RoomPresence {
  private readonly rooms = new Map<string, Map<string, number>>();

  /** Mark `device` as reading `room`; call leave(room, device) once when that subscription ends. */
  enter(room: Uint8Array, device: Uint8Array): void {
    const roomKey = toHex(room);
    const deviceKey = toHex(device);
    let devices = this.rooms.get(roomKey);
    if (!devices) {
      devices = new Map();
      this.rooms.set(roomKey, devices);
    }
    devices.set(deviceKey, (devices.get(deviceKey) ?? 0) + 1);
  }

  /** One subscription of `device` to `room` ended. */
  leave(room: Uint8Array, device: Uint8Array): void {
    const roomKey = toHex(room);
    const deviceKey = toHex(device);
    const devices = this.rooms.get(roomKey);
    const count = devices?.get(deviceKey);
    if (!devices || count === undefined) return;
    if (count > 1) devices.set(deviceKey, count - 1);
    else devices.delete(deviceKey);
    // Nothing of a room stays in memory once no one reads it.
    if (devices.size === 0) this.rooms.delete(roomKey);
  }

  isPresent(room: Uint8Array, device: Uint8Array): boolean {
    return this.rooms.get(toHex(room))?.has(toHex(device)) ?? false;
  }
}

import { toHex } from '../src/lib/protocol/hex';
import { appended, removed } from './copyOnWrite';
import type { Session } from './session';

/** Close code after ERROR device_revoked: the device was removed and may not come back. */
export const CLOSE_DEVICE_REVOKED = 4004;

/**
 * The authenticated sockets of each device in this process: at most `maxPerDevice` of them, and a revocation ends
 * them at once. A device holds a few sockets, so they are kept in a copy-on-write array rather than a Set.
 */
export class DeviceSockets {
  private readonly byDevice = new Map<string, readonly Session[]>();

  constructor(private readonly maxPerDevice: number) {}

  /** Count `session` as one of the device's sockets, unless the device already holds the maximum (then false). */
  add(signPublic: Uint8Array, session: Session): boolean {
    const key = toHex(signPublic);
    const sessions = this.byDevice.get(key);
    if (sessions && sessions.length >= this.maxPerDevice) return false;
    this.byDevice.set(key, appended(sessions, session));
    return true;
  }

  /** `session` of the device closed: its slot is free. */
  remove(signPublic: Uint8Array, session: Session): void {
    const key = toHex(signPublic);
    const sessions = this.byDevice.get(key);
    if (!sessions) return;
    const left = removed(sessions, session);
    if (left.length > 0) this.byDevice.set(key, left);
    else this.byDevice.delete(key);
  }

  /** Say `device_revoked` on, and close, every socket of `signPublic` here. */
  closeRevoked(signPublic: Uint8Array): void {
    for (const session of this.byDevice.get(toHex(signPublic)) ?? []) closeRevokedSession(session);
  }
}

export function closeRevokedSession(session: Session): void {
  session.sendError('device_revoked', 'this device was removed; sign in again from a linked device');
  session.close(CLOSE_DEVICE_REVOKED, 'device revoked');
}

import { toHex } from '../src/lib/protocol/hex';
import type { Session } from './session';

/** Close code after ERROR device_revoked: the device was removed and may not come back. */
export const CLOSE_DEVICE_REVOKED = 4004;

/** The authenticated sockets of each device in this process, so a revocation can end them at once. */
export class DeviceSockets {
  private readonly byDevice = new Map<string, Set<Session>>();

  add(signPublic: Uint8Array, session: Session): void {
    const key = toHex(signPublic);
    let sessions = this.byDevice.get(key);
    if (!sessions) {
      sessions = new Set();
      this.byDevice.set(key, sessions);
    }
    sessions.add(session);
  }

  remove(signPublic: Uint8Array, session: Session): void {
    const key = toHex(signPublic);
    const sessions = this.byDevice.get(key);
    sessions?.delete(session);
    if (sessions?.size === 0) this.byDevice.delete(key);
  }

  /** Say `device_revoked` on, and close, every socket of `signPublic` here. */
  closeRevoked(signPublic: Uint8Array): void {
    for (const session of [...(this.byDevice.get(toHex(signPublic)) ?? [])]) closeRevokedSession(session);
  }
}

export function closeRevokedSession(session: Session): void {
  session.sendError('device_revoked', 'this device was removed; sign in again from a linked device');
  session.close(CLOSE_DEVICE_REVOKED, 'device revoked');
}

/**
 * Telling the relay that this device is gone. Erasing a device signs a revocation with the device's own key while
 * the key is still in memory, keeps it here, erases everything else, and then delivers it: at once when online,
 * otherwise the next time Hearth opens with a connection. The statement holds only the device's public key, a
 * time and a signature, nothing of the person, so it may outlive the erase.
 */
export interface Revocation {
  v: 1;
  device: string;
  at: number;
  signature: string;
}

export const PENDING_REVOCATION_KEY = 'hearth.pendingRevocation';
const REVOKE_PATH = '/devices/revoke';
const SEND_TIMEOUT_MS = 8_000;

export function keepRevocation(storage: Storage, revocation: Revocation): void {
  storage.setItem(PENDING_REVOCATION_KEY, JSON.stringify(revocation));
}

export function pendingRevocation(storage: Storage): Revocation | null {
  try {
    const value: unknown = JSON.parse(storage.getItem(PENDING_REVOCATION_KEY) ?? 'null');
    if (
      value &&
      typeof value === 'object' &&
      'v' in value &&
      value.v === 1 &&
      'device' in value &&
      typeof value.device === 'string' &&
      'at' in value &&
      typeof value.at === 'number' &&
      'signature' in value &&
      typeof value.signature === 'string'
    ) {
      return { v: 1, device: value.device, at: value.at, signature: value.signature };
    }
  } catch {
    // Unreadable: nothing useful can be sent.
  }
  return null;
}

/**
 * Send a kept revocation. It is forgotten once the relay has it, or once the relay says it can never accept it
 * (a 4xx: resending the same bytes would not help); kept for later when there is no answer or a server error.
 * Returns true when nothing remains to send.
 */
export async function deliverPendingRevocation(storage: Storage, origin: string): Promise<boolean> {
  const revocation = pendingRevocation(storage);
  if (!revocation) {
    storage.removeItem(PENDING_REVOCATION_KEY);
    return true;
  }
  try {
    const response = await fetch(new URL(REVOKE_PATH, origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(revocation),
      keepalive: true,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 404)) {
      storage.removeItem(PENDING_REVOCATION_KEY);
      return true;
    }
  } catch {
    // Offline or no answer: kept for the next start.
  }
  return false;
}

/**
 * Slows passphrase guessing at the door: after a few wrong tries each further try must wait, doubling up to five
 * minutes. Argon2id is what makes guessing expensive for someone who copies the store; this is for someone holding
 * the phone. The count is not secret (it says nothing of the person), so it lives in localStorage, where it
 * survives a reload but not an erase.
 */
export const FREE_ATTEMPTS = 3;
export const FIRST_WAIT_MS = 5_000;
export const MAX_WAIT_MS = 5 * 60_000;

const KEY = 'hearth.unlockAttempts';

export interface AttemptState {
  failures: number;
  lastFailureAt: number;
}

/** How long after the last failure the next try may start (0 while tries are free). */
export function waitAfter(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (failures - FREE_ATTEMPTS));
}

/** Milliseconds until another try is allowed, at `now`. */
export function remainingWait(state: AttemptState, now: number): number {
  return Math.max(0, state.lastFailureAt + waitAfter(state.failures) - now);
}

export class UnlockThrottle {
  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null) {}

  read(): AttemptState {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(KEY) ?? 'null');
      if (
        parsed &&
        typeof parsed === 'object' &&
        'failures' in parsed &&
        'lastFailureAt' in parsed &&
        typeof parsed.failures === 'number' &&
        typeof parsed.lastFailureAt === 'number'
      ) {
        return { failures: parsed.failures, lastFailureAt: parsed.lastFailureAt };
      }
    } catch {
      // A damaged entry counts as none: it cannot lock a person out.
    }
    return { failures: 0, lastFailureAt: 0 };
  }

  remaining(now = Date.now()): number {
    return remainingWait(this.read(), now);
  }

  failed(now = Date.now()): void {
    const state = this.read();
    this.storage?.setItem(KEY, JSON.stringify({ failures: state.failures + 1, lastFailureAt: now }));
  }

  succeeded(): void {
    this.storage?.removeItem(KEY);
  }
}

export class UnlockWaitError extends Error {
  readonly code = 'unlock_wait';
  constructor(readonly waitMs: number) {
    super(`Too many tries. Wait ${Math.ceil(waitMs / 1000)} seconds and try again.`);
    this.name = 'UnlockWaitError';
  }
}

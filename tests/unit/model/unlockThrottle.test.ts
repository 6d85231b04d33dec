import { describe, expect, it } from 'vitest';
import {
  FIRST_WAIT_MS,
  FREE_ATTEMPTS,
  MAX_WAIT_MS,
  remainingWait,
  UnlockThrottle,
  waitAfter,
} from '$lib/model/unlockThrottle';

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
    map,
  };
}

describe('slowing down passphrase guesses', () => {
  it('lets the first few tries through at once, then doubles the wait up to five minutes', () => {
    for (let failures = 0; failures < FREE_ATTEMPTS; failures++) expect(waitAfter(failures)).toBe(0);
    expect(waitAfter(FREE_ATTEMPTS)).toBe(FIRST_WAIT_MS);
    expect(waitAfter(FREE_ATTEMPTS + 1)).toBe(FIRST_WAIT_MS * 2);
    expect(waitAfter(FREE_ATTEMPTS + 2)).toBe(FIRST_WAIT_MS * 4);
    expect(waitAfter(FREE_ATTEMPTS + 40)).toBe(MAX_WAIT_MS);
  });

  it('counts down from the last failure', () => {
    const state = { failures: FREE_ATTEMPTS, lastFailureAt: 1_000 };
    expect(remainingWait(state, 1_000)).toBe(FIRST_WAIT_MS);
    expect(remainingWait(state, 1_000 + FIRST_WAIT_MS - 1)).toBe(1);
    expect(remainingWait(state, 1_000 + FIRST_WAIT_MS)).toBe(0);
  });

  it('remembers failures across instances (a reload) and forgets them after a success', () => {
    const storage = memoryStorage();
    const now = 50_000;
    for (let i = 0; i < FREE_ATTEMPTS; i++) new UnlockThrottle(storage).failed(now);
    expect(new UnlockThrottle(storage).remaining(now)).toBe(FIRST_WAIT_MS);
    new UnlockThrottle(storage).succeeded();
    expect(new UnlockThrottle(storage).remaining(now)).toBe(0);
    expect(storage.map.size).toBe(0);
  });

  it('treats a damaged record as no failures rather than locking the person out', () => {
    const storage = memoryStorage();
    storage.setItem('hearth.unlockAttempts', '{not json');
    expect(new UnlockThrottle(storage).remaining()).toBe(0);
    storage.setItem('hearth.unlockAttempts', JSON.stringify({ failures: 'many' }));
    expect(new UnlockThrottle(storage).read()).toEqual({ failures: 0, lastFailureAt: 0 });
  });
});

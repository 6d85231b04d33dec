import { closeDb } from '../store/db';
import { keepRevocation, type Revocation } from './revocation';

/** Caches the service worker keeps the app shell in: code and public files, never anything of the person. */
const SHELL_CACHE_PREFIX = 'hearth-shell-';

/**
 * Remove everything of the person from this browser: every IndexedDB database (keys, records, envelopes, outbox),
 * every cache that is not the app shell, and local and session storage. The app shell stays so Hearth (and its
 * crisis resources) still opens offline for whoever uses the device next. A revocation, when given, is kept so it
 * can be delivered to the relay afterwards; it is the only thing left behind, and it names no one.
 */
export async function eraseLocalData(revocation: Revocation | null): Promise<void> {
  closeDb();
  localStorage.clear();
  sessionStorage.clear();
  if (revocation) keepRevocation(localStorage, revocation);
  const names = new Set(['hearth']);
  if (typeof indexedDB.databases === 'function') {
    for (const db of await indexedDB.databases()) if (db.name) names.add(db.name);
  }
  await Promise.all([...names].map(deleteDatabase));
  if (typeof caches !== 'undefined') {
    const keys = await caches.keys();
    await Promise.all(
      keys.filter((key) => !key.startsWith(SHELL_CACHE_PREFIX)).map((key) => caches.delete(key)),
    );
  }
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`could not delete ${name}`));
    // Another tab still has it open: it is deleted as soon as that tab lets go (it is told to, below).
    request.onblocked = () => undefined;
  });
}

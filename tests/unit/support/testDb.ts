import { HearthDb } from '$lib/store/db';

/** A database of its own for one test, so tests never see each other's rows. */
export function freshDb(): HearthDb {
  return new HearthDb(`test-${crypto.randomUUID()}`);
}

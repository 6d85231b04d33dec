import { SvelteSet } from 'svelte/reactivity';
import type { Session } from '$lib/model';
import { app } from './app.svelte';

export type EtiquetteKind = 'long' | 'burst';

/**
 * Which etiquette hints a client dismissed, per conversation, until the app is locked: each unlock is a new session,
 * and hints dismissed in an earlier one show again. Kept in memory only (it says nothing of content, but need not last).
 */
class EtiquetteDismissals {
  private readonly dismissed = new SvelteSet<string>();
  private readonly sessions = new WeakMap<Session, number>();
  private sessionCount = 0;

  isDismissed(room: string, kind: EtiquetteKind): boolean {
    const key = this.key(room, kind);
    return key === null || this.dismissed.has(key);
  }

  dismiss(room: string, kind: EtiquetteKind): void {
    const key = this.key(room, kind);
    if (key !== null) this.dismissed.add(key);
  }

  private key(room: string, kind: EtiquetteKind): string | null {
    const session = app.session;
    if (!session) return null;
    let id = this.sessions.get(session);
    if (id === undefined) {
      id = ++this.sessionCount;
      this.sessions.set(session, id);
    }
    return `${id}:${room}:${kind}`;
  }
}

export const etiquetteDismissals = new EtiquetteDismissals();

import { app } from './app.svelte';

/**
 * Messages not yet read across all conversations, for the tab title and the app icon. Only a number: never a name or
 * anything said. Zero while locked, so a locked screen shows nothing of what waits behind it.
 */
class UnreadCount {
  readonly count: number = $derived.by(() => {
    void app.revision;
    const session = app.session;
    if (app.phase !== 'ready' || !session) return 0;
    return session.index.list().reduce((total, item) => total + item.unread, 0);
  });
}

export const unread = new UnreadCount();

/** A page's title ("Settings · Hearth", or "Hearth"), with the unread count in front when there is one: "(3) Hearth". */
export function pageTitle(name?: string): string {
  const title = name ? `${name} · Hearth` : 'Hearth';
  return unread.count > 0 ? `(${unread.count}) ${title}` : title;
}

/**
 * Show the count on the installed app's icon where the platform has the Badging API; elsewhere nothing happens.
 * Zero clears the badge.
 */
export function showAppBadge(count: number): void {
  if (typeof navigator === 'undefined' || !('setAppBadge' in navigator) || !('clearAppBadge' in navigator))
    return;
  const done = count > 0 ? navigator.setAppBadge(count) : navigator.clearAppBadge();
  // A browser may refuse a badge (not installed, not allowed): the title still shows the count.
  done.catch((error: unknown) =>
    console.warn('hearth: could not set the app badge', error instanceof Error ? error.name : error),
  );
}

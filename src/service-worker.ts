/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />

// Hearth's service worker: the app shell and the crisis resources, precached per build, so the app opens
// instantly with no network and help is one tap away offline. It never caches relay traffic or user data:
// those live encrypted in IndexedDB, and a plaintext copy in Cache Storage would undo that.

import { build, files, version } from '$service-worker';

declare const self: ServiceWorkerGlobalScope;

const CACHE_PREFIX = 'hearth-shell-';
const CACHE = `${CACHE_PREFIX}${version}`;

// Resolved against the worker's own URL so a `paths.base` would carry through.
const SHELL = new URL('200.html', self.location.href).pathname;

// Relay endpoints. A navigation to one of these (someone opening /healthz in a tab) must reach the relay,
// not be answered with the app shell.
const NETWORK_ONLY_PREFIXES = ['/sync', '/healthz', '/metrics', '/push'].map(
  (path) => new URL(`.${path}`, self.location.href).pathname,
);

// Dotfiles from static/ (.gitkeep, .DS_Store) are not assets anyone requests.
const isPublicFile = (path: string) => !path.split('/').some((segment) => segment.startsWith('.'));

const PRECACHE = [...new Set([...build, ...files.filter(isPublicFile), SHELL])];
const PRECACHED = new Set(PRECACHE);

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload` bypasses the HTTP cache: a stale crisis.html or icon from a previous deploy must not be
      // stored under this version's name.
      await cache.addAll(PRECACHE.map((path) => new Request(path, { cache: 'reload' })));
      // First install: nothing to replace, so take over now and the app opens offline after one visit.
      // An update waits for the page to ask (SKIP_WAITING), so an open tab is never switched to new code
      // halfway through writing a message.
      if (self.registration.active === null) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      // Only our own shell caches: anything else in Cache Storage is not ours to delete.
      const stale = names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE);
      await Promise.all(stale.map((name) => caches.delete(name)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  const data: unknown = event.data;
  if (typeof data === 'object' && data !== null && 'type' in data && data.type === 'SKIP_WAITING') {
    // workbox-window's messageSW waits on a MessageChannel reply; answer so it does not hang.
    event.ports[0]?.postMessage({ type: 'SKIP_WAITING', ok: true });
    event.waitUntil(self.skipWaiting());
  }
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;

  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (
    NETWORK_ONLY_PREFIXES.some((prefix) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))
  )
    return;

  if (PRECACHED.has(url.pathname)) {
    // Includes navigations to a real file such as /crisis.html, which must not become the app shell.
    event.respondWith(cacheFirst(url.pathname, request));
  } else if (request.mode === 'navigate') {
    event.respondWith(shellFirst(request));
  }
  // Anything else (blob downloads, relay HTTP) goes to the network untouched and is never cached.
});

// Notifications. Whatever a push carries, the notification says only these fixed words: no name, no text, no
// room, so a locked phone's screen reveals nothing. The relay's payload is content-free too; it is not even read.
const NOTIFICATION_TITLE = 'Hearth';
const NOTIFICATION_BODY = 'New message in Hearth';
// One tag: a second push replaces the notification rather than stacking a list of them.
const NOTIFICATION_TAG = 'hearth-new-message';

self.addEventListener('push', (event) => {
  event.waitUntil(
    self.registration.showNotification(NOTIFICATION_TITLE, {
      body: NOTIFICATION_BODY,
      tag: NOTIFICATION_TAG,
      icon: new URL('icons/icon-192.png', self.location.href).pathname,
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openApp());
});

/** Focus an open Hearth window if there is one, else open the app; it asks for the passphrase if locked. */
async function openApp(): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (open) {
    await open.focus();
    return;
  }
  await self.clients.openWindow(new URL('./', self.location.href).href);
}

async function cacheFirst(path: string, request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(path);
  if (cached) return cached;
  // Evicted or never stored: the network copy of a precached file belongs to this version, so keep it.
  const response = await fetch(request);
  if (response.ok) await cache.put(path, response.clone());
  return response;
}

async function shellFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const shell = await cache.match(SHELL);
  if (shell) return shell;
  try {
    return await fetch(request);
  } catch (error) {
    // No shell and no network: the one page that must still open is the crisis page.
    const crisis = await cache.match(new URL('crisis.html', self.location.href).pathname);
    if (crisis) return crisis;
    throw error;
  }
}

import { browser, dev } from '$app/environment';
import { Workbox } from 'workbox-window';

const SCRIPT_URL = '/service-worker.js';

/**
 * Registers Hearth's service worker and tells the UI when a new version is ready. An update is never
 * applied silently: the page shows a prompt, and only the person's tap reloads into the new version.
 */
export class ServiceWorkerManager {
  #updateAvailable = $state(false);
  #registrationError = $state<string | null>(null);
  #wb: Workbox | null = null;
  // Another tab already switched this origin to the new worker; this tab still runs the old code.
  #replacedElsewhere = false;

  /** A new version is installed and waiting, or already running in another tab. */
  get updateAvailable(): boolean {
    return this.#updateAvailable;
  }

  /** Why registration failed, if it did; the app still works online without a service worker. */
  get registrationError(): string | null {
    return this.#registrationError;
  }

  /** Registers once; safe to call again. Does nothing on the server, in `vite dev`, or without SW support. */
  register(): void {
    if (this.#wb || !browser || dev || !('serviceWorker' in navigator)) return;
    const wb = new Workbox(SCRIPT_URL);
    this.#wb = wb;
    wb.addEventListener('waiting', () => {
      this.#updateAvailable = true;
    });
    wb.addEventListener('controlling', (event) => {
      // isUpdate is false on the first install, when the worker claims a page that had none.
      if (event.isUpdate && event.isExternal) {
        this.#replacedElsewhere = true;
        this.#updateAvailable = true;
      }
    });
    wb.register().catch((error: unknown) => {
      this.#registrationError = error instanceof Error ? error.message : String(error);
      console.error('Service worker registration failed; Hearth will not open offline.', error);
    });
  }

  /** Activates the waiting version and reloads into it once it controls the page. */
  applyUpdate(): void {
    const wb = this.#wb;
    if (!wb || this.#replacedElsewhere) {
      window.location.reload();
      return;
    }
    wb.addEventListener('controlling', () => window.location.reload());
    wb.messageSkipWaiting();
  }
}

export const serviceWorker = new ServiceWorkerManager();

import { z } from 'zod';
import {
  fetchVapidPublicKey,
  fromBase64Url,
  registerPush,
  unregisterPush,
  type RecordStore,
  type RelayConnection,
} from '../sync';

/** Why notifications could not be turned on, in terms the UI turns into words (`handleError`). */
export type NotificationProblem = 'unsupported' | 'denied' | 'not-allowed' | 'unavailable' | 'offline';

export class NotificationError extends Error {
  constructor(
    readonly problem: NotificationProblem,
    message: string,
  ) {
    super(message);
    this.name = 'NotificationError';
  }
}

/** The person's choice about notifications, kept sealed like every other record. Not content, but not the relay's. */
const NotificationChoice = z.object({
  enabled: z.boolean(),
  /** They answered the prompt (or used the switch): never prompt again. */
  asked: z.boolean(),
});
type NotificationChoice = z.infer<typeof NotificationChoice>;

const RECORD_ID = 'settings:notifications';
/** A browser with no push service to reach may never settle `subscribe`; past this, say it is not available. */
const BROWSER_TIMEOUT_MS = 20_000;

/**
 * Content-free push notifications for this device: the browser's PushSubscription, its registration with the
 * relay, and the person's choice. The relay only ever sends "new message"; the service worker shows the fixed words
 * "New message in Hearth", so nothing here can reveal content.
 */
export class Notifications {
  private choice: NotificationChoice = { enabled: false, asked: false };
  /** Operations run one at a time: a switch turned off while an unlock's renewal runs must not be undone by it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly records: RecordStore,
    private readonly connection: RelayConnection,
    private readonly waitForRelay: () => Promise<void>,
  ) {}

  async load(): Promise<void> {
    this.choice = (await this.records.get(RECORD_ID, NotificationChoice)) ?? this.choice;
  }

  get enabled(): boolean {
    return this.choice.enabled;
  }

  /** Whether this browser has what Web Push needs at all. */
  get supported(): boolean {
    return (
      typeof window !== 'undefined' &&
      'serviceWorker' in navigator &&
      'PushManager' in window &&
      'Notification' in window
    );
  }

  /** The browser's notification permission, or 'unsupported'. */
  get permission(): NotificationPermission | 'unsupported' {
    return this.supported ? Notification.permission : 'unsupported';
  }

  /** Offer notifications now? Only once the person has sent something, never if they answered or the browser cannot. */
  get shouldOffer(): boolean {
    return !this.choice.asked && this.supported && Notification.permission !== 'denied';
  }

  /** "Not now": remember the answer, so the offer is not repeated; the switch still turns them on. */
  dismiss(): Promise<void> {
    return this.serial(() => this.save({ enabled: this.choice.enabled, asked: true }));
  }

  /**
   * Ask the browser for permission, subscribe at its push service with the relay's VAPID key, and register the
   * subscription with the relay. Throws `NotificationError` (or `RelayError`); nothing is left half on.
   */
  turnOn(): Promise<void> {
    return this.serial(() => this.doTurnOn());
  }

  private async doTurnOn(): Promise<void> {
    if (!this.supported) throw new NotificationError('unsupported', 'no Web Push in this browser');
    const permission = await Notification.requestPermission();
    if (permission === 'denied') throw new NotificationError('denied', 'notifications are blocked');
    if (permission !== 'granted') throw new NotificationError('not-allowed', 'permission was not given');
    await this.subscribeAndRegister();
    await this.save({ enabled: true, asked: true });
  }

  /**
   * Turn notifications off: the choice first (so it holds whatever the network does), then the relay, then the
   * browser's subscription. If the relay cannot be told now, the push service will answer it 410 once the browser
   * has unsubscribed, and the relay deletes the subscription then.
   */
  turnOff(): Promise<void> {
    return this.serial(() => this.doTurnOff());
  }

  private async doTurnOff(): Promise<void> {
    await this.save({ enabled: false, asked: true });
    const subscription = await this.currentSubscription();
    if (!subscription) return;
    try {
      if (this.connection.status === 'online') await unregisterPush(this.connection, subscription.endpoint);
    } catch (error) {
      console.warn(
        'hearth: the relay was not told that notifications are off; the push service will tell it',
        name(error),
      );
    }
    await subscription.unsubscribe();
  }

  /**
   * After unlocking: if notifications are on, register the browser's current subscription with the relay again.
   * Browsers may replace a subscription, and the relay's copy may be older than this device's.
   */
  resync(): Promise<void> {
    return this.serial(async () => {
      if (!this.choice.enabled || this.permission !== 'granted') return;
      try {
        await this.subscribeAndRegister();
      } catch (error) {
        console.warn('hearth: could not renew the notification subscription', name(error));
      }
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined); // a failure is its caller's to handle, not the next operation's
    return result;
  }

  private async subscribeAndRegister(): Promise<void> {
    let publicKey: string;
    try {
      publicKey = await fetchVapidPublicKey();
    } catch {
      throw new NotificationError('offline', 'the relay push key could not be fetched');
    }
    const registration = await this.registration();
    const applicationServerKey = new Uint8Array(fromBase64Url(publicKey)); // an ArrayBuffer-backed copy for WebIDL
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, applicationServerKey)) {
      // Subscribed under another relay key (the relay's pair was replaced): that subscription can never work.
      await subscription.unsubscribe();
      subscription = null;
    }
    if (!subscription) {
      try {
        subscription = await withTimeout(
          registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }),
        );
      } catch (error) {
        throw new NotificationError('unavailable', `push subscription failed: ${name(error)}`);
      }
    }
    const p256dh = subscription.getKey('p256dh');
    const auth = subscription.getKey('auth');
    if (!p256dh || !auth) {
      await subscription.unsubscribe();
      throw new NotificationError('unavailable', 'the push subscription has no encryption keys');
    }
    try {
      await this.waitForRelay();
      await registerPush(this.connection, {
        endpoint: subscription.endpoint,
        p256dh: new Uint8Array(p256dh),
        auth: new Uint8Array(auth),
      });
    } catch (error) {
      // Not registered means no notification would ever come: do not leave the browser subscribed for nothing.
      await subscription.unsubscribe();
      throw error;
    }
  }

  private async registration(): Promise<ServiceWorkerRegistration> {
    try {
      // `ready` never settles without a service worker (a development server): bound it.
      return await withTimeout(navigator.serviceWorker.ready);
    } catch {
      throw new NotificationError('unavailable', 'no service worker to receive pushes');
    }
  }

  private async currentSubscription(): Promise<PushSubscription | null> {
    if (!this.supported) return null;
    const registration = await navigator.serviceWorker.getRegistration();
    return (await registration?.pushManager.getSubscription()) ?? null;
  }

  private async save(choice: NotificationChoice): Promise<void> {
    await this.records.put(RECORD_ID, 'settings', choice);
    this.choice = choice;
  }
}

function sameKey(subscription: PushSubscription, key: Uint8Array): boolean {
  const current = subscription.options.applicationServerKey;
  if (!current) return false;
  const bytes = new Uint8Array(current);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), BROWSER_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An error's name only: browser messages may quote URLs, and logs never hold more than needed. */
function name(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

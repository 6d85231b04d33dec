import {
  accountExists,
  createAccount,
  DeviceLinkRequest,
  deliverPendingRevocation,
  eraseLocalData,
  restoreFromBackup,
  type BackupProgress,
  unlock as unlockAccount,
  UnlockThrottle,
  type ConnectionStatus,
  type NewAccount,
  type Session,
} from '$lib/model';
import { AutoLock } from './autoLock';

export type Phase = 'starting' | 'new' | 'locked' | 'ready';

/** Tells other open tabs of this app that the device was erased, so none keeps showing anything. */
const CHANNEL = 'hearth-device';

/**
 * The app's top-level state: whether this device has an account, whether it is unlocked, and the session once
 * it is. `revision` ticks whenever anything in the session changes, so views re-derive from the model.
 */
class AppState {
  phase = $state<Phase>('starting');
  status = $state<ConnectionStatus>('offline');
  revision = $state(0);
  session = $state.raw<Session | null>(null);
  /** While this device is being linked to an account on another device. */
  linkRequest = $state.raw<DeviceLinkRequest | null>(null);
  /** Set after this device was erased, so the start screen can say so. */
  erased = $state(false);
  /** Why the app locked itself, shown on the unlock screen (null when the person locked it or just opened it). */
  lockedBecause = $state<'inactive' | null>(null);
  private detach: (() => void)[] = [];
  private readonly autoLock = new AutoLock(
    () => (this.session?.settings.lockAfterMinutes ?? 5) * 60_000,
    () => this.lock('inactive'),
  );
  private channel: BroadcastChannel | null = null;
  /** The page is going away or out of sight (it may never come back): store the drafts now, not in 300 ms. */
  private readonly flushDrafts = () => void this.session?.drafts.flush();
  private readonly flushDraftsWhenHidden = () => {
    if (document.visibilityState === 'hidden') this.flushDrafts();
  };

  async start(): Promise<void> {
    if (this.phase !== 'starting') return;
    this.listenForErase();
    void this.deliverRevocation();
    window.addEventListener('online', () => void this.deliverRevocation());
    this.phase = (await accountExists()) ? 'locked' : 'new';
  }

  async create(input: NewAccount): Promise<void> {
    this.erased = false;
    this.attach(await createAccount(input));
  }

  /** Restore a recovery backup into this empty device and open it. */
  async restore(
    file: Uint8Array,
    secret: string,
    passphrase: string,
    confirm: string,
    onProgress: (progress: BackupProgress) => void,
  ): Promise<void> {
    this.erased = false;
    this.attach(await restoreFromBackup(file, secret, passphrase, confirm, onProgress));
  }

  async startLink(): Promise<void> {
    this.linkRequest?.cancel();
    this.linkRequest = await DeviceLinkRequest.start();
  }

  cancelLink(): void {
    this.linkRequest?.cancel();
    this.linkRequest = null;
  }

  async finishLink(passphrase: string, confirm: string): Promise<void> {
    if (!this.linkRequest) return;
    const session = await this.linkRequest.finish(passphrase, confirm);
    this.linkRequest = null;
    this.attach(session);
  }

  async unlock(passphrase: string): Promise<void> {
    this.attach(await unlockAccount(passphrase, this.throttle()));
  }

  /** Milliseconds before another unlock try is allowed (after repeated wrong passphrases). */
  unlockWait(): number {
    return this.throttle().remaining();
  }

  /** Forget the keys and everything decrypted; what is on the device stays encrypted. */
  lock(reason: 'inactive' | null = null): void {
    if (this.phase !== 'ready') return;
    this.autoLock.stop();
    for (const off of this.detach.splice(0)) off();
    this.session?.close();
    this.session = null;
    this.lockedBecause = reason;
    this.phase = 'locked';
  }

  /**
   * Sign out and erase: sign a revocation while the key is still in memory, then remove everything of the person
   * from this browser at once, whether or not the relay can be told yet (the revocation is delivered later).
   */
  async erase(): Promise<void> {
    const revocation = this.session?.revocation() ?? null;
    this.lock();
    await eraseLocalData(revocation);
    this.channel?.postMessage('erased');
    this.lockedBecause = null;
    this.erased = true;
    this.phase = 'new';
    void this.deliverRevocation();
  }

  private async deliverRevocation(): Promise<void> {
    await deliverPendingRevocation(localStorage, window.location.origin);
  }

  private throttle(): UnlockThrottle {
    return new UnlockThrottle(typeof localStorage === 'undefined' ? null : localStorage);
  }

  private listenForErase(): void {
    if (typeof BroadcastChannel === 'undefined') return;
    this.channel = new BroadcastChannel(CHANNEL);
    this.channel.onmessage = (event: MessageEvent) => {
      if (event.data === 'erased') window.location.replace('/');
    };
  }

  private attach(session: Session): void {
    this.session = session;
    this.status = session.status;
    this.lockedBecause = null;
    this.detach.push(
      session.onChange(() => this.revision++),
      session.connection.onStatus((status) => {
        this.status = status;
        this.revision++;
      }),
      listen(window, 'pagehide', this.flushDrafts),
      listen(document, 'visibilitychange', this.flushDraftsWhenHidden),
    );
    this.autoLock.start();
    this.phase = 'ready';
  }
}

/** Listen until the returned function is called. */
function listen(target: EventTarget, type: string, listener: () => void): () => void {
  target.addEventListener(type, listener);
  return () => target.removeEventListener(type, listener);
}

export const app = new AppState();

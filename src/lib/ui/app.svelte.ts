import {
  accountExists,
  createAccount,
  DeviceLinkRequest,
  unlock as unlockAccount,
  type ConnectionStatus,
  type NewAccount,
  type Session,
} from '$lib/model';

export type Phase = 'starting' | 'new' | 'locked' | 'ready';

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
  private detach: (() => void)[] = [];

  async start(): Promise<void> {
    if (this.phase !== 'starting') return;
    this.phase = (await accountExists()) ? 'locked' : 'new';
  }

  async create(input: NewAccount): Promise<void> {
    this.attach(await createAccount(input));
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
    this.attach(await unlockAccount(passphrase));
  }

  lock(): void {
    for (const off of this.detach.splice(0)) off();
    this.session?.close();
    this.session = null;
    this.phase = 'locked';
  }

  private attach(session: Session): void {
    this.session = session;
    this.status = session.status;
    this.detach.push(
      session.onChange(() => this.revision++),
      session.connection.onStatus((status) => {
        this.status = status;
        this.revision++;
      }),
    );
    this.phase = 'ready';
  }
}

export const app = new AppState();

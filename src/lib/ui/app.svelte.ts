import {
  accountExists,
  createAccount,
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
  private detach: (() => void)[] = [];

  async start(): Promise<void> {
    if (this.phase !== 'starting') return;
    this.phase = (await accountExists()) ? 'locked' : 'new';
  }

  async create(input: NewAccount): Promise<void> {
    this.attach(await createAccount(input));
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

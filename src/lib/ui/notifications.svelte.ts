import type { Notifications, Session } from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';

/**
 * The notification offer and switch: when to offer, what the switch shows, and what went wrong in plain words.
 * The offer comes only after the person has sent a message, never on first load, and at most until they answer.
 */
class NotificationsState {
  busy = $state(false);
  problem = $state('');
  /** The session the offer was made in; locking ends the offer. */
  #offeredFor = $state.raw<Session | null>(null);
  /** Ticks after every change, so getters over the model re-run. */
  #revision = $state(0);

  private get model(): Notifications | null {
    void app.revision;
    void this.#revision;
    return app.session?.notifications ?? null;
  }

  get offered(): boolean {
    return this.#offeredFor !== null && this.#offeredFor === app.session;
  }

  get enabled(): boolean {
    return this.model?.enabled ?? false;
  }

  get supported(): boolean {
    return this.model?.supported ?? false;
  }

  get blocked(): boolean {
    return this.model?.permission === 'denied';
  }

  /** A message was queued on this device: offer notifications if the person has not answered yet. */
  messageQueued(): void {
    if (this.model?.shouldOffer && !this.offered) {
      this.problem = '';
      this.#offeredFor = app.session;
    }
  }

  /** "Turn on" in the offer: any answer, even a failed one, ends the offering for good. */
  async acceptOffer(): Promise<void> {
    const ok = await this.set(true);
    if (ok) this.#offeredFor = null;
    else await this.model?.dismiss();
  }

  async declineOffer(): Promise<void> {
    this.#offeredFor = null;
    this.problem = '';
    await this.model?.dismiss();
    this.#revision++;
  }

  /** The switch. Resolves with whether it now shows what was asked. */
  async set(on: boolean): Promise<boolean> {
    const model = this.model;
    if (!model || this.busy) return false;
    this.busy = true;
    this.problem = '';
    try {
      if (on) await model.turnOn();
      else await model.turnOff();
      return true;
    } catch (error) {
      this.problem = handleError(error, 'notifications');
      return false;
    } finally {
      this.busy = false;
      this.#revision++;
    }
  }
}

export const notifications = new NotificationsState();

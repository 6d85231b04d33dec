import type { DeviceView } from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';

/** State of the Devices screen: the list, the link form (code → comparison → name → approve), removal. */
export class DevicesViewState {
  devices = $state.raw<DeviceView[]>([]);
  loading = $state(true);
  listError = $state('');
  code = $state('');
  comparison = $state('');
  name = $state('');
  linkError = $state('');
  linkDone = $state('');
  linking = $state(false);
  confirming = $state<string | null>(null);
  removeError = $state('');

  get canManage(): boolean {
    return app.session?.devices.canManage ?? false;
  }

  async load(): Promise<void> {
    const session = app.session;
    if (!session) return;
    this.listError = '';
    try {
      this.devices = await session.devices.list();
    } catch (e) {
      this.listError = handleError(e, 'devices');
    } finally {
      this.loading = false;
    }
  }

  /** Step 1: read the code and show the number the new device should also show. */
  check(): void {
    this.linkError = '';
    this.linkDone = '';
    try {
      this.comparison = app.session?.devices.comparison(this.code) ?? '';
    } catch (e) {
      this.comparison = '';
      this.linkError = handleError(e, 'link-device');
    }
  }

  /** Step 2: the numbers match and the person named the device: approve it. */
  async approve(): Promise<void> {
    const session = app.session;
    if (!session || this.linking) return;
    this.linkError = '';
    this.linking = true;
    try {
      const name = this.name.trim() || 'New device';
      await session.devices.approve(this.code, name);
      this.linkDone = `${name} is linked. It is bringing your conversations over now.`;
      this.reset();
      await this.load();
    } catch (e) {
      this.linkError = handleError(e, 'link-device');
    } finally {
      this.linking = false;
    }
  }

  reset(): void {
    this.code = '';
    this.comparison = '';
    this.name = '';
  }

  async remove(key: string): Promise<void> {
    const session = app.session;
    if (!session) return;
    this.removeError = '';
    try {
      await session.devices.remove(key);
      this.confirming = null;
      await this.load();
    } catch (e) {
      this.removeError = handleError(e, 'devices');
    }
  }
}

import { handleError } from './handleError';

/** One membership change at a time from a screen: whether one is running, and what went wrong, in words. */
export class MembershipAction {
  busy = $state(false);
  error = $state('');

  async run(change: () => Promise<void>): Promise<void> {
    this.error = '';
    this.busy = true;
    try {
      await change();
    } catch (e) {
      this.error = handleError(e, 'membership');
    } finally {
      this.busy = false;
    }
  }
}

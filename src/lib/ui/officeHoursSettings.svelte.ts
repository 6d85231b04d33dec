import {
  describeHours,
  describePromise,
  OfficeHoursError,
  officeHoursFromForm,
  officeHoursToForm,
  timeZoneChoices,
  type OfficeHoursForm,
} from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';

/**
 * A therapist's office hours while they edit them: the form (as saved, or Monday to Friday 09:00 to 17:00 in this
 * device's zone), what is wrong with it in words, and saving (sealed on the device, then published in every
 * conversation, queued when offline).
 */
export class OfficeHoursSettingsState {
  form = $state<OfficeHoursForm>(officeHoursToForm(app.session?.profile.hours));
  error = $state('');
  /** The control the error is about (its id), so it is marked invalid. */
  errorField = $state<string | null>(null);
  saved = $state('');
  saving = $state(false);
  readonly zones: string[] = timeZoneChoices(this.form.timeZone);

  async save(): Promise<void> {
    const session = app.session;
    if (!session || this.saving) return;
    this.error = '';
    this.errorField = null;
    this.saved = '';
    this.saving = true;
    try {
      const hours = officeHoursFromForm($state.snapshot(this.form));
      await session.saveOfficeHours(hours);
      this.saved = `Office hours saved: ${describeHours(hours, hours.timeZone)}, replying ${describePromise(hours)}. Your clients see them in your conversations.`;
    } catch (e) {
      if (e instanceof OfficeHoursError) this.errorField = e.field;
      this.error = handleError(e, 'office-hours');
    } finally {
      this.saving = false;
    }
  }
}

import {
  describeHours,
  describePromise,
  OfficeHoursError,
  officeHoursFromForm,
  officeHoursToForm,
  timeZoneChoices,
  type OfficeHoursForm,
  type Session,
  withBreak,
} from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';

/** The id of the line that says what is wrong with the form. */
export const OFFICE_HOURS_ERROR_ID = 'office-hours-error';

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
  /** True while office hours are saved, so they can be removed. */
  readonly hasHours = $derived.by(() => {
    void app.revision;
    return app.session?.profile.hours !== undefined;
  });

  /** True for the control the error is about. */
  invalid(field: string): boolean {
    return this.errorField === field;
  }

  /** A control's `aria-describedby`: its own hint, and the error while the error is about it. */
  describedBy(field: string, hint?: string): string | undefined {
    const ids = [hint, this.invalid(field) ? OFFICE_HOURS_ERROR_ID : undefined].filter(Boolean);
    return ids.length > 0 ? ids.join(' ') : undefined;
  }

  /** Give an open day a break (a lunch hour, when its hours span one), to be adjusted. */
  addBreak(day: number): void {
    this.form.days[day] = withBreak(this.form.days[day]);
  }

  removeBreak(day: number): void {
    this.form.days[day].after = null;
  }

  /** Take the office hours down everywhere; the form keeps what it holds, to save again. */
  clear(): Promise<void> {
    return this.run(async (session) => {
      await session.clearOfficeHours();
      const promise = session.profile.replyPromise;
      this.saved = `Office hours removed. Your clients see ${promise ? `that you usually reply ${promise}` : 'no office hours'} instead.`;
    });
  }

  save(): Promise<void> {
    return this.run(async (session) => {
      const hours = officeHoursFromForm($state.snapshot(this.form));
      await session.saveOfficeHours(hours);
      this.saved = `Office hours saved: ${describeHours(hours, hours.timeZone)}, replying ${describePromise(hours)}. Your clients see them in your conversations.`;
    });
  }

  /** One change at a time: the last outcome cleared, then what went wrong said in words, on the field to fix. */
  private async run(change: (session: Session) => Promise<void>): Promise<void> {
    const session = app.session;
    if (!session || this.saving) return;
    this.error = '';
    this.errorField = null;
    this.saved = '';
    this.saving = true;
    try {
      await change(session);
    } catch (e) {
      if (e instanceof OfficeHoursError) this.errorField = e.field;
      this.error = handleError(e, 'office-hours');
    } finally {
      this.saving = false;
    }
  }
}

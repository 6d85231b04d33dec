import { z } from 'zod';
import { MAX_MESSAGE_CHARS, MAX_TEMPLATE_TITLE_CHARS, MAX_TEMPLATES } from '../protocol/limits';
import type { RecordStore } from '../sync';

/** A reply someone saved to insert again ("Thanks for your message, I'll reply by…"). */
export const ReplyTemplate = z.object({
  id: z.string().min(8).max(64),
  title: z.string().min(1).max(MAX_TEMPLATE_TITLE_CHARS),
  text: z.string().min(1).max(MAX_MESSAGE_CHARS),
});
export type ReplyTemplate = z.infer<typeof ReplyTemplate>;

/** Every template of this person, in the one sealed record `templates`. */
export const TemplateList = z.object({ templates: z.array(ReplyTemplate).max(MAX_TEMPLATES) });
export type TemplateList = z.infer<typeof TemplateList>;

export type TemplateProblem = 'invalid_title' | 'empty' | 'too_long' | 'too_many';

/** A template that cannot be saved as given; nothing was changed. */
export class TemplateError extends Error {
  constructor(
    readonly code: TemplateProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

const RECORD_ID = 'templates';

/** This person's reply templates: saved, listed and removed here, stored sealed (they are content). */
export class Templates {
  private templates: ReplyTemplate[] = [];
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly records: RecordStore,
    private readonly changed: () => void,
  ) {}

  async load(): Promise<void> {
    this.templates = (await this.records.get(RECORD_ID, TemplateList))?.templates ?? [];
  }

  /** Oldest first, as saved. */
  list(): ReplyTemplate[] {
    return this.templates;
  }

  /** Save a template; resolves with it once it is stored. Throws `TemplateError`. */
  async save(title: string, text: string): Promise<ReplyTemplate> {
    const name = title.trim();
    const body = text.trim();
    if (body.length === 0)
      throw new TemplateError('empty', 'Write the reply first, then save it as a template.');
    if (name.length === 0 || name.length > MAX_TEMPLATE_TITLE_CHARS) {
      throw new TemplateError(
        'invalid_title',
        `A template's title has 1 to ${MAX_TEMPLATE_TITLE_CHARS} characters.`,
      );
    }
    if (body.length > MAX_MESSAGE_CHARS) {
      throw new TemplateError(
        'too_long',
        `A template is a message, so it has at most ${MAX_MESSAGE_CHARS.toLocaleString()} characters.`,
      );
    }
    const template: ReplyTemplate = { id: crypto.randomUUID(), title: name, text: body };
    await this.update((templates) => {
      if (templates.length >= MAX_TEMPLATES) {
        throw new TemplateError('too_many', `You can keep ${MAX_TEMPLATES} templates. Delete one first.`);
      }
      return [...templates, template];
    });
    return template;
  }

  /** Delete a template (nothing happens for one that is not there). */
  remove(id: string): Promise<void> {
    return this.update((templates) => templates.filter((t) => t.id !== id));
  }

  /**
   * Change the list from its latest state, after any change still being stored (two at once would overwrite each
   * other). Stored first, then shown: a template on screen is on the device.
   */
  private update(change: (templates: ReplyTemplate[]) => ReplyTemplate[]): Promise<void> {
    const run = this.writes.then(async () => {
      const next = change(this.templates);
      if (next.length === this.templates.length && next.every((t, i) => t === this.templates[i])) return;
      await this.records.put(RECORD_ID, 'templates', { templates: next });
      this.templates = next;
      this.changed();
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

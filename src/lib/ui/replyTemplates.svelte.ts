import type { ReplyTemplate } from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';

/** A title for a template saved without one: the start of its first line. */
const DEFAULT_TITLE_CHARS = 40;

/** The composer's reply templates panel: open or not, the title being typed, saving and deleting. */
export class ReplyTemplatesState {
  open = $state(false);
  title = $state('');
  error = $state('');
  /** What was just done, said in words (a status line). */
  done = $state('');
  busy = $state(false);

  get templates(): ReplyTemplate[] {
    void app.revision;
    return app.session?.templates.list() ?? [];
  }

  toggle(): void {
    this.open = !this.open;
    this.error = '';
    this.done = '';
  }

  /** Save the draft as a template, under the title typed (or the start of the draft). */
  async save(draft: string): Promise<void> {
    const title = this.title.trim() || defaultTitle(draft);
    await this.run(async (session) => {
      await session.templates.save(title, draft);
      this.title = '';
      this.done = `Saved “${title}” as a template.`;
    });
  }

  async remove(template: ReplyTemplate): Promise<void> {
    await this.run(async (session) => {
      await session.templates.remove(template.id);
      this.done = `Deleted the template “${template.title}”.`;
    });
  }

  private async run(change: (session: NonNullable<typeof app.session>) => Promise<void>): Promise<void> {
    const session = app.session;
    if (!session || this.busy) return;
    this.error = '';
    this.done = '';
    this.busy = true;
    try {
      await change(session);
    } catch (e) {
      this.error = handleError(e, 'templates');
    } finally {
      this.busy = false;
    }
  }
}

function defaultTitle(draft: string): string {
  const line = draft.trim().split('\n')[0].trim();
  return line.length > DEFAULT_TITLE_CHARS ? `${line.slice(0, DEFAULT_TITLE_CHARS - 1)}…` : line;
}

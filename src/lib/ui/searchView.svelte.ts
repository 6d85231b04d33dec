import type { SearchProgress, SearchResult, Session } from '$lib/model';
import { app } from './app.svelte';
import { handleError } from './handleError';

/** What the search screen shows for the query typed. */
export interface SearchView {
  query: string;
  results: SearchResult[];
  total: number;
  error: string;
}

/**
 * Each session's last query, so coming back from a result shows the same results. Held in memory only (never in the
 * address or history, which the browser keeps on disk), and forgotten with the session when the app locks.
 */
const lastQueries = new WeakMap<Session, string>();

/** State of the search screen: the query, and the model's answer to it, kept current as conversations change. */
export class SearchViewState {
  #query = $state(app.session ? (lastQueries.get(app.session) ?? '') : '');

  get query(): string {
    return this.#query;
  }

  set query(text: string) {
    this.#query = text;
    if (app.session) lastQueries.set(app.session, text);
  }

  /** The answer to the query, or null before anything is typed. */
  get answer(): SearchView | null {
    void app.revision;
    const session = app.session;
    const query = this.#query;
    if (!session || query.trim() === '') return null;
    try {
      return { query, ...session.search.query(query), error: '' };
    } catch (error) {
      return { query, results: [], total: 0, error: handleError(error, 'search') };
    }
  }

  /** How far the index is, while it is read or built. */
  get progress(): SearchProgress | null {
    void app.revision;
    return app.session?.search.progress ?? null;
  }
}

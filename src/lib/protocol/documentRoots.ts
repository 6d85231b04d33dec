/**
 * The top-level types of a conversation's Yjs document that hold entries in someone's name. The model writes them
 * and sync checks, before applying an update, that their entries are in the name of the update's author.
 */
export const DOC_ROOT = {
  messages: 'messages',
  audit: 'audit',
  topics: 'topics',
  sessions: 'sessions',
  people: 'people',
  receipts: 'receipts',
  away: 'away',
} as const;

/** Arrays of entries each carrying the key of the person who wrote it in `by`. */
export const SIGNED_ARRAYS: ReadonlySet<string> = new Set([
  DOC_ROOT.messages,
  DOC_ROOT.audit,
  DOC_ROOT.topics,
  DOC_ROOT.sessions,
]);

/** Maps keyed by the key of the person each value is about, who alone writes it. */
export const PERSONAL_MAPS: ReadonlySet<string> = new Set([DOC_ROOT.people, DOC_ROOT.receipts]);

/** Maps whose values carry the key of the person who wrote them in `by`. */
export const SIGNED_MAPS: ReadonlySet<string> = new Set([DOC_ROOT.away]);

import type { RecordStore } from '../sync';
import { Contact, ContactList } from './schemas';

const RECORD_ID = 'contacts';

/**
 * The people this person can add to a conversation: whoever invited them, whoever took one of their invites, and
 * the participants of their invite conversations from before contacts were kept. Sealed on the device like every
 * other record; the relay never learns who is whose contact.
 */
export class Contacts {
  private byKey = new Map<string, Contact>();
  /** Writes one at a time, so two changes never race over the one record. */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly records: RecordStore) {}

  async load(): Promise<void> {
    const stored = await this.records.get(RECORD_ID, ContactList);
    this.byKey = new Map((stored?.contacts ?? []).map((c) => [c.key, c]));
  }

  /** Everyone, by name. */
  list(): Contact[] {
    return [...this.byKey.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(key: string): Contact | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /**
   * Keep a contact, or refresh the name, role and box key of one already kept (how they first became a contact
   * stays). Resolves once stored; true if anything changed.
   */
  remember(contact: Contact): Promise<boolean> {
    const run = this.writes.then(async () => {
      const known = this.byKey.get(contact.key);
      const next: Contact = known
        ? { ...known, name: contact.name, role: contact.role, box: contact.box }
        : Contact.parse(contact);
      if (known && known.name === next.name && known.role === next.role && known.box === next.box)
        return false;
      const all = new Map(this.byKey).set(next.key, next);
      await this.records.put(RECORD_ID, 'contacts', { contacts: [...all.values()] });
      this.byKey = all;
      return true;
    });
    this.writes = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

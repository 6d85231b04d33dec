/** A loaded conversation as a cache kept from it sees it: its room, and a way to hear of its changes. */
export interface ChangingSource {
  readonly room: string;
  onChange(listener: () => void): () => void;
}

/**
 * What a cache kept from the loaded conversations (their summaries, the search index) follows: each one's change
 * listener, and the rooms changed since the cache last caught up. It is asked to catch up once per burst of
 * changes, `delayMs` after the first, unless it is `busy` (catching up already: it takes the new ones too).
 */
export class ChangedRooms<S extends ChangingSource> {
  /** Rooms changed and not caught up with yet; the cache deletes each one it has caught up with. */
  readonly due = new Set<string>();
  private readonly followed = new Map<string, { source: S; off: () => void }>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly delayMs: number,
    private readonly catchUp: () => void,
    private readonly busy: () => boolean = () => false,
  ) {}

  /** Hear of `source`'s changes from now on, in place of an earlier listener for its room. */
  follow(source: S): void {
    this.followed.get(source.room)?.off();
    const off = source.onChange(() => this.changed(source.room));
    this.followed.set(source.room, { source, off });
  }

  /** The followed source of a room, if any. */
  source(room: string): S | undefined {
    return this.followed.get(room)?.source;
  }

  /** `room` changed: it is due, and the cache catches up after the delay. */
  changed(room: string): void {
    this.due.add(room);
    if (this.busy()) return;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.catchUp();
    }, this.delayMs);
  }

  /** The cache is catching up now: no need to ask it later. */
  cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stop hearing of a room, and forget that it changed. */
  unfollow(room: string): void {
    this.followed.get(room)?.off();
    this.followed.delete(room);
    this.due.delete(room);
  }

  /** Stop hearing of every room (their conversations are closing); what is due stays due. */
  unfollowAll(): void {
    for (const { off } of this.followed.values()) off();
    this.followed.clear();
  }
}

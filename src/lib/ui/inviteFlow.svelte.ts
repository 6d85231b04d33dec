import { inviteKind, type Session } from '$lib/model';
import { handleError } from './handleError';

/**
 * Accepting an invite link. The fragment (secret and inviter key) stays in memory only: it is read from the
 * address bar, which is then cleared, so it is not left in history once used.
 */
class InviteFlow {
  fragment = $state('');
  state = $state<'idle' | 'joining' | 'joined' | 'failed'>('idle');
  error = $state('');
  /** A practice invite asks a professional to join; a new person makes a therapist's account for it. */
  kind = $derived(inviteKind(this.fragment));

  capture(hash: string): void {
    if (hash.length > 1 && hash !== `#${this.fragment}`) {
      this.fragment = hash.slice(1);
      this.state = 'idle';
      this.error = '';
    }
  }

  async accept(session: Session): Promise<string | null> {
    this.state = 'joining';
    try {
      const room = await session.acceptInvite(this.fragment);
      this.state = 'joined';
      return room;
    } catch (e) {
      this.error = handleError(e, 'accept-invite');
      this.state = 'failed';
      return null;
    }
  }

  retry(): void {
    this.error = '';
    this.state = 'idle';
  }
}

export const inviteFlow = new InviteFlow();

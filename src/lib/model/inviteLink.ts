import { decodeInviteFragment } from '../sync';

/**
 * What an invite link is for, read from its fragment, so the invite page can offer the right account (a
 * therapist's for a practice invite) before the sealed invite can be fetched. The signed invite decides once it is
 * opened; a link that does not parse is a conversation invite here and refused as malformed when accepted.
 */
export function inviteKind(fragment: string): 'conversation' | 'practice' {
  try {
    return decodeInviteFragment(fragment).kind;
  } catch {
    return 'conversation';
  }
}

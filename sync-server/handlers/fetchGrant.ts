import type { FrameOf } from '../../src/lib/protocol/frames';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { Session } from '../session';

/**
 * FETCH_GRANT: the sealed grant filed under `linkId` → GRANT, or grant_not_found (not yet, or expired). The grant is
 * sealed to the new device's keys and the link secret, so handing it to anyone who names the id reveals nothing.
 */
export async function handleFetchGrant(
  session: Session,
  frame: FrameOf<'fetchGrant'>,
  ctx: RelayContext,
): Promise<void> {
  const grant = await ctx.storage.getGrant(frame.linkId, Date.now());
  if (!grant) throw new RelayError('grant_not_found', 'no grant under this link id yet', frame.linkId);
  session.send({ type: 'grant', linkId: frame.linkId, grant });
}

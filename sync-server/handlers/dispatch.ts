import type { Frame, FrameType } from '../../src/lib/protocol/frames';
import type { RelayContext } from '../context';
import { RelayError } from '../relayError';
import type { AuthedDevice, Session } from '../session';
import { handleAppend } from './append';
import { handleAuth } from './auth';
import { handleBlobGet } from './blobGet';
import { handleBlobPut } from './blobPut';
import { handleBlobStatus } from './blobStatus';
import { handleClaimInvite } from './claimInvite';
import { handleCreateRoom } from './createRoom';
import { handleFetchGrant } from './fetchGrant';
import { handleGetInvite } from './getInvite';
import { handleLinkDevice } from './linkDevice';
import { handleListDevices } from './listDevices';
import { handleListRooms } from './listRooms';
import { handleMembershipChange } from './membershipChange';
import { handlePutKeyBundle } from './putKeyBundle';
import { handlePutInvite } from './putInvite';
import { handlePushSubscribe } from './pushSubscribe';
import { handlePushUnsubscribe } from './pushUnsubscribe';
import { handlePutSnapshot } from './putSnapshot';
import { handleRevokeDevice } from './revokeDevice';
import { handleSubscribe } from './subscribe';
import { handleSubscribeLatest } from './subscribeLatest';

/** Route one decoded client frame to its handler; refuses relay-only frames and anything but AUTH before auth. */
export async function dispatchFrame(session: Session, frame: Frame, ctx: RelayContext): Promise<void> {
  switch (frame.type) {
    case 'auth':
      return handleAuth(session, frame, ctx);
    case 'createRoom':
      return handleCreateRoom(session, authed(session), frame, ctx);
    case 'subscribe':
      return handleSubscribe(session, authed(session), frame, ctx);
    case 'append':
      return handleAppend(session, authed(session), frame, ctx);
    case 'putInvite':
      return handlePutInvite(session, authed(session), frame, ctx);
    case 'getInvite':
      return handleGetInvite(session, authed(session), frame, ctx);
    case 'claimInvite':
      return handleClaimInvite(session, authed(session), frame, ctx);
    case 'blobPut':
      return handleBlobPut(session, authed(session), frame, ctx);
    case 'blobStatus':
      return handleBlobStatus(session, authed(session), frame, ctx);
    case 'blobGet':
      return handleBlobGet(session, authed(session), frame, ctx);
    case 'putSnapshot':
      return handlePutSnapshot(session, authed(session), frame, ctx);
    case 'subscribeLatest':
      return handleSubscribeLatest(session, authed(session), frame, ctx);
    case 'linkDevice':
      return handleLinkDevice(session, authed(session), frame, ctx);
    case 'fetchGrant':
      authed(session);
      return handleFetchGrant(session, frame, ctx);
    case 'revokeDevice':
      return handleRevokeDevice(session, authed(session), frame, ctx);
    case 'listDevices':
      return handleListDevices(session, authed(session), ctx);
    case 'pushSubscribe':
      return handlePushSubscribe(session, authed(session), frame, ctx);
    case 'pushUnsubscribe':
      return handlePushUnsubscribe(session, authed(session), frame, ctx);
    case 'membershipChange':
      return handleMembershipChange(session, authed(session), frame, ctx);
    case 'putKeyBundle':
      return handlePutKeyBundle(session, authed(session), frame, ctx);
    case 'listRooms':
      return handleListRooms(session, authed(session), ctx);
    default:
      throw new RelayError('malformed_frame', `clients may not send ${wireName(frame.type)}`);
  }
}

function authed(session: Session): AuthedDevice {
  if (!session.device) throw new RelayError('not_authenticated', 'authenticate with AUTH first');
  return session.device;
}

/** `caughtUp` → `CAUGHT_UP`, the names PROTOCOL.md uses. */
export function wireName(type: FrameType): string {
  return type.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/**
 * Stable error codes. The relay sends them in error frames, the client maps them to words a person can act on;
 * neither side renames or reuses one.
 */
export const ERROR_CODES = [
  'malformed_frame',
  'unknown_version',
  'unknown_frame_type',
  'frame_too_large',
  'envelope_too_large',
  'bad_signature',
  'not_authenticated',
  'already_authenticated',
  'auth_failed',
  'not_a_member',
  'wrong_author',
  'room_exists',
  'clock_out_of_order',
  'duplicate_id',
  'invite_not_found',
  'invite_expired',
  'invite_used',
  'invite_too_large',
  'storage_failed',
  'internal',
  'rate_limited',
  'too_many_rooms',
  'too_many_connections',
  'blob_too_large',
  'blob_not_found',
  'blob_offset_mismatch',
  'blob_hash_mismatch',
  'snapshot_invalid',
  'shutting_down',
  'device_revoked',
  'not_identity',
  'device_exists',
  'bad_certificate',
  'grant_not_found',
  'grant_too_large',
  'too_many_devices',
  'push_endpoint_invalid',
  'push_key_invalid',
  'membership_stale',
  'membership_forbidden',
  'key_bundle_invalid',
  'key_bundle_conflict',
  'epoch_stale',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}

/** A frame or envelope that breaks the wire format; `code` is what goes back in the error frame. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

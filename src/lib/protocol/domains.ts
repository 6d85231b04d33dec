/**
 * Signature domain-separation prefixes. Each signed kind has its own, so a signature made for one kind can never
 * be replayed as another (an auth response can never pass as an envelope, an invite claim never as an auth).
 */
export const SIGN_DOMAIN = {
  update: 'hearth-update-v1',
  auth: 'hearth-auth-v1',
  claim: 'hearth-claim-v1',
  invite: 'hearth-invite-v1',
  snapshot: 'hearth-snapshot-v1',
  device: 'hearth-device-v1',
  revoke: 'hearth-revoke-v1',
  membership: 'hearth-membership-v1',
  keyBundle: 'hearth-keybundle-v1',
} as const;

export type SignDomain = (typeof SIGN_DOMAIN)[keyof typeof SIGN_DOMAIN];

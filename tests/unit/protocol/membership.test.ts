import { describe, expect, it } from 'vitest';
import { MAX_MEMBERSHIP_ENTRY_BYTES } from '$lib/protocol/limits';
import {
  decodeMembershipEntry,
  encodeMembershipBody,
  encodeMembershipEntry,
  type MembershipEntry,
} from '$lib/protocol/membership';

const entry: MembershipEntry = {
  room: new Uint8Array(16).fill(1),
  index: 300,
  prev: new Uint8Array(32).fill(2),
  kind: 'handover',
  subjectSign: new Uint8Array(32).fill(3),
  subjectBox: new Uint8Array(32).fill(4),
  author: new Uint8Array(32).fill(5),
  at: 1_700_000_000_000,
  signature: new Uint8Array(64).fill(6),
};

describe('membership log entries on the wire', () => {
  it('decode to what was encoded, with the exact body the signature covers', () => {
    const bytes = encodeMembershipEntry(entry);
    const decoded = decodeMembershipEntry(bytes);
    expect(decoded.entry).toEqual(entry);
    expect(decoded.body).toEqual(encodeMembershipBody(entry));
    expect(bytes.length).toBe(decoded.body.length + 64);
    // version, room, index (2 bytes), prev, kind, three keys, at (6 bytes), signature
    expect(bytes.length).toBe(1 + 16 + 2 + 32 + 1 + 96 + 6 + 64);
  });

  it('refuse a truncated entry, trailing bytes, an unknown kind or version, and an oversized one', () => {
    const bytes = encodeMembershipEntry(entry);
    const code = (b: Uint8Array) => {
      try {
        decodeMembershipEntry(b);
        return 'decoded';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(code(bytes.subarray(0, bytes.length - 1))).toBe('malformed_frame');
    expect(code(new Uint8Array([...bytes, 0]))).toBe('malformed_frame');
    const kindAt = 1 + 16 + 2 + 32;
    const unknownKind = bytes.slice();
    unknownKind[kindAt] = 9;
    expect(code(unknownKind)).toBe('malformed_frame');
    const version = bytes.slice();
    version[0] = 2;
    expect(code(version)).toBe('unknown_version');
    expect(code(new Uint8Array(MAX_MEMBERSHIP_ENTRY_BYTES + 1))).toBe('malformed_frame');
  });
});

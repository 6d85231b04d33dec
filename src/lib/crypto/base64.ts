import { na } from './sodium';

/** URL-safe base64 without padding, for link fragments and JSON fields. */
export function toBase64Url(bytes: Uint8Array): string {
  return na().to_base64(bytes, na().base64_variants.URLSAFE_NO_PADDING);
}

/** Throws on anything that is not URL-safe base64. */
export function fromBase64Url(text: string): Uint8Array {
  return na().from_base64(text, na().base64_variants.URLSAFE_NO_PADDING);
}

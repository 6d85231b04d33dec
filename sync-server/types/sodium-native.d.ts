// The one function of sodium-native the relay uses. (@types/sodium-native describes version 2 and Buffers only.)
declare module 'sodium-native' {
  export function crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean;
}

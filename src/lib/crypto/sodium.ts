import sodiumModule from 'libsodium-wrappers-sumo';

/**
 * The only import of libsodium in the client. The sumo build is needed for Argon2id (crypto_pwhash).
 * `cryptoReady()` must resolve before any other function of this folder is called.
 */
let ready: Promise<void> | null = null;
let loaded = false;

/** Load libsodium once; safe to call many times. */
export function cryptoReady(): Promise<void> {
  ready ??= sodiumModule.ready.then(() => {
    loaded = true;
  });
  return ready;
}

/** The loaded library, for the modules of this folder only. */
export function na(): typeof sodiumModule {
  if (!loaded) throw new Error('cryptoReady() has not finished');
  return sodiumModule;
}

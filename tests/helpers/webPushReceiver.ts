import { createECDH, createPublicKey, hkdfSync, createDecipheriv, randomBytes, verify } from 'node:crypto';

/**
 * The browser's half of a Web Push subscription, made the way a browser makes it: a P-256 key pair and a 16-byte
 * auth secret. `decrypt` opens an RFC 8291 (aes128gcm) message with node:crypto alone, written from the RFC rather
 * than with the library the relay encrypts with, so a shared mistake cannot pass unnoticed.
 */
export class BrowserSubscription {
  private readonly ecdh = createECDH('prime256v1');
  readonly p256dh: Uint8Array;
  readonly auth: Uint8Array;

  /** New keys, or the keys a browser made (its P-256 private scalar and its auth secret). */
  constructor(
    readonly endpoint: string,
    keys?: { privateKey: Uint8Array; auth: Uint8Array },
  ) {
    if (keys) {
      this.ecdh.setPrivateKey(keys.privateKey);
      this.p256dh = new Uint8Array(this.ecdh.getPublicKey());
      this.auth = keys.auth;
    } else {
      this.p256dh = new Uint8Array(this.ecdh.generateKeys());
      this.auth = new Uint8Array(randomBytes(16));
    }
  }

  /** The plaintext of one aes128gcm push body (RFC 8188 header, one record), or throws if it does not open. */
  decrypt(body: Buffer): Buffer {
    const salt = body.subarray(0, 16);
    const recordSize = body.readUInt32BE(16);
    const keyIdLength = body[20];
    const serverPublic = body.subarray(21, 21 + keyIdLength);
    const ciphertext = body.subarray(21 + keyIdLength);
    if (keyIdLength !== 65) throw new Error(`keyid is ${keyIdLength} bytes, not a P-256 point`);
    if (ciphertext.length > recordSize) throw new Error('more than one record');
    // RFC 8291 section 3.4: the auth secret and the ECDH secret give the IKM; RFC 8188 derives key and nonce.
    const ecdhSecret = this.ecdh.computeSecret(serverPublic);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.p256dh, serverPublic]);
    const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, this.auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
    const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const padded = Buffer.concat([
      decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
      decipher.final(),
    ]);
    // The last record ends with the delimiter 0x02, then any number of zero bytes of padding.
    let end = padded.length - 1;
    while (end >= 0 && padded[end] === 0) end--;
    if (padded[end] !== 0x02) throw new Error('missing last-record delimiter');
    return padded.subarray(0, end);
  }
}

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

/**
 * Check an RFC 8292 `Authorization: vapid t=<JWT>, k=<key>` header: the key is `expectedKey`, and the JWT is an
 * ES256 signature by it. Returns the JWT's claims; throws if anything does not hold.
 */
export function verifyVapid(authorization: string, expectedKey: string): VapidClaims {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(authorization);
  if (!match) throw new Error(`not a vapid Authorization header: ${authorization.slice(0, 12)}...`);
  const [, jwt, key] = match;
  if (key !== expectedKey) throw new Error('the header names another key');
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const [header, payload, signature] = jwt.split('.');
  const ok = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!ok) throw new Error('the VAPID JWT signature does not verify');
  const alg = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string }).alg;
  if (alg !== 'ES256') throw new Error(`JWT alg ${alg}`);
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as VapidClaims;
}

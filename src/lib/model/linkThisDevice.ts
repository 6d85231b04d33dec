import { toHex } from '../protocol/hex';
import { openDb } from '../store/db';
import {
  comparisonFor,
  createLinkedVault,
  cryptoReady,
  encodeLinkCode,
  generateDeviceKeys,
  linkIdFor,
  newLinkSecret,
  openGrant,
  RecordStore,
  RelayConnection,
  RelayError,
  type DeviceKeys,
  type LinkCode,
  type LinkGrant,
  type PublicKeys,
} from '../sync';
import { validateNewPassphrase } from './account';
import { Profile, RoomRecord } from './schemas';
import { relayUrl } from './relayUrl';
import { Session } from './session';

/** How often the waiting device asks the relay whether its grant has arrived. */
const POLL_MS = 1_500;

/**
 * The new device's side of linking. It makes its own keys and a one-time secret, shows them as a code, and asks
 * the relay for the grant filed under the secret's link id until the first device approves. Its keys authenticate
 * it to the relay while it waits; it belongs to no room until the grant makes it one of the account's devices.
 */
export class DeviceLinkRequest {
  readonly code: string;
  readonly comparison: string;
  private readonly connection: RelayConnection;
  private cancelled = false;
  private received: { grant: LinkGrant; identity: PublicKeys } | null = null;

  private constructor(
    private readonly keys: DeviceKeys,
    private readonly link: LinkCode,
  ) {
    this.code = encodeLinkCode(link);
    this.comparison = comparisonFor(link);
    this.connection = new RelayConnection(relayUrl(), keys);
  }

  static async start(): Promise<DeviceLinkRequest> {
    await cryptoReady();
    const keys = generateDeviceKeys();
    const request = new DeviceLinkRequest(keys, {
      secret: newLinkSecret(),
      signPublic: keys.signPublic,
      boxPublic: keys.boxPublic,
    });
    request.connection.start();
    return request;
  }

  /** The name the first device gave this one, once approved. */
  get deviceName(): string | null {
    return this.received?.grant.device.name ?? null;
  }

  /** Resolve once the first device has approved and the grant opened; rejects with `LinkError('tampered')`. */
  async waitForApproval(): Promise<void> {
    const linkId = linkIdFor(this.link.secret);
    while (!this.cancelled && !this.received) {
      await this.connection.whenReady();
      try {
        const reply = await this.connection.request(
          { type: 'fetchGrant', linkId },
          'grant',
          (f) => toHex(f.linkId) === toHex(linkId),
          linkId,
        );
        this.received = openGrant(this.link, reply.grant);
      } catch (error) {
        // Not approved yet, or the connection dropped: ask again shortly. Anything else is for the person to see.
        if (!(error instanceof RelayError)) throw error;
        if (!['grant_not_found', 'offline', 'timeout'].includes(error.code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
  }

  /**
   * Keep this device: store its vault under the passphrase (its own keys, the identity's public keys), then the
   * profile, the rooms and the device names from the grant, and open the session; history arrives by catch-up.
   */
  async finish(passphrase: string, confirm: string): Promise<Session> {
    if (!this.received) throw new Error('The first device has not approved this one yet.');
    validateNewPassphrase(passphrase, confirm);
    const { grant, identity } = this.received;
    const profile = Profile.parse(grant.profile);
    const rooms = grant.rooms.map((room) => RoomRecord.parse(room));
    this.connection.stop();
    const db = openDb();
    const keyring = await createLinkedVault(db, passphrase, this.keys, identity);
    const records = new RecordStore(db, keyring.storageKey);
    await db.transaction('rw', db.records, async () => {
      await db.records.put(records.seal('profile', 'profile', profile));
      for (const room of rooms) await db.records.put(records.seal(`room:${room.room}`, 'room', room));
      await db.records.put(
        records.seal('devices', 'devices', {
          names: {
            [toHex(identity.signPublic)]: grant.identityDeviceName,
            [toHex(this.keys.signPublic)]: grant.device.name,
          },
        }),
      );
    });
    return Session.open(db, keyring);
  }

  cancel(): void {
    this.cancelled = true;
    this.connection.stop();
  }
}

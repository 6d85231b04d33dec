import { bytesEqual, fromHex, toHex } from '../protocol/hex';
import {
  comparisonFor,
  decodeLinkCode,
  linkIdFor,
  RecordStore,
  RelayConnection,
  sealGrant,
  signDeviceCertificate,
  signRevocation,
  toBase64Url,
  type Keyring,
} from '../sync';
import { DeviceNames, RoomRecord, type Profile } from './schemas';

/** A device of this person's account, as the Devices screen shows it. */
export interface DeviceView {
  key: string;
  name: string;
  thisDevice: boolean;
  /** The account's first device: its key is the identity, and only it links and removes devices. */
  first: boolean;
  createdAt: number;
  lastSeen: number;
  removed: boolean;
}

/** Something that happened to the account's devices, for an audit trail to record. */
export interface DeviceEvent {
  type: 'linked' | 'removed';
  device: string;
  name: string;
  at: number;
}

export const FIRST_DEVICE_NAME = 'First device';

/** Why linking or removing cannot go ahead, in words. */
export class DeviceError extends Error {
  constructor(
    readonly code: 'not_first_device' | 'this_device',
    message: string,
  ) {
    super(message);
    this.name = 'DeviceError';
  }
}

/**
 * The account's devices, seen from one unlocked device: linking a new one (first device only: it alone holds the
 * identity's secret key), listing them with last activity, and removing one. Device names stay in a sealed
 * record on the devices that know them; the relay only ever sees keys.
 */
export class Devices {
  private readonly listeners = new Set<(event: DeviceEvent) => void>();

  constructor(
    private readonly keyring: Keyring,
    private readonly records: RecordStore,
    private readonly connection: RelayConnection,
    /** The profile as it is now (office hours may have changed since the session opened). */
    private readonly profile: () => Profile,
    private readonly waitForRelay: () => Promise<void>,
  ) {}

  /** True on the account's first device. */
  get canManage(): boolean {
    return !this.keyring.linked;
  }

  /** Audit hook: called after a device is linked or removed from this device. */
  onDeviceEvent(listener: (event: DeviceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The six digits a code gives, to compare with the new device's screen. Throws `LinkError('malformed')`. */
  comparison(codeText: string): string {
    return comparisonFor(decodeLinkCode(codeText));
  }

  /**
   * Approve a new device: certify its keys, register it at the relay, and file the sealed grant it is waiting for
   * (identity keys, certificate, profile, and every room's keys and trust anchors). History follows by catch-up.
   */
  async approve(codeText: string, name: string): Promise<void> {
    this.requireFirstDevice();
    const code = decodeLinkCode(codeText);
    const deviceName = name.trim() || 'New device';
    await this.waitForRelay();
    const createdAt = Date.now();
    const certificate = signDeviceCertificate(
      this.keyring.signSecret,
      this.keyring.signPublic,
      code,
      createdAt,
    );
    const names = await this.names();
    const grant = sealGrant(code, {
      v: 1,
      identity: {
        signPublic: toBase64Url(this.keyring.signPublic),
        boxPublic: toBase64Url(this.keyring.boxPublic),
      },
      device: { createdAt, certificate: toBase64Url(certificate), name: deviceName },
      identityDeviceName: names[toHex(this.keyring.signPublic)] ?? FIRST_DEVICE_NAME,
      profile: this.profile(),
      rooms: await this.records.list('room', RoomRecord),
    });
    await this.connection.request(
      {
        type: 'linkDevice',
        signPublic: code.signPublic,
        boxPublic: code.boxPublic,
        createdAt,
        certificate,
        linkId: linkIdFor(code.secret),
        grant,
      },
      'deviceLinked',
      (f) => bytesEqual(f.signPublic, code.signPublic),
      code.signPublic,
    );
    const key = toHex(code.signPublic);
    await this.saveName(key, deviceName);
    this.emit({ type: 'linked', device: key, name: deviceName, at: createdAt });
  }

  /** Every device of the account with its last activity at the relay. Needs the relay. */
  async list(): Promise<DeviceView[]> {
    await this.waitForRelay();
    const reply = await this.connection.request(
      { type: 'listDevices' },
      'deviceList',
      () => true,
      new Uint8Array(0),
    );
    const names = await this.names();
    const identity = toHex(this.keyring.identity.signPublic);
    const own = toHex(this.keyring.signPublic);
    return reply.devices.map((device) => {
      const key = toHex(device.signPublic);
      const first = key === identity;
      return {
        key,
        name: names[key] ?? (first ? FIRST_DEVICE_NAME : 'Another device'),
        thisDevice: key === own,
        first,
        createdAt: device.createdAt,
        lastSeen: device.lastSeen,
        removed: device.revokedAt > 0,
      };
    });
  }

  /** Remove another device: a revocation signed by the identity. Its further messages are refused everywhere. */
  async remove(key: string): Promise<void> {
    this.requireFirstDevice();
    if (key === toHex(this.keyring.signPublic)) {
      throw new DeviceError('this_device', 'To stop using this device, sign out and erase it instead.');
    }
    await this.waitForRelay();
    const device = fromHex(key);
    const at = Date.now();
    await this.connection.request(
      { type: 'revokeDevice', device, at, signature: signRevocation(this.keyring.signSecret, device, at) },
      'deviceRevoked',
      (f) => bytesEqual(f.device, device),
      device,
    );
    const name = (await this.names())[key] ?? 'Another device';
    this.emit({ type: 'removed', device: key, name, at });
  }

  private requireFirstDevice(): void {
    if (this.keyring.linked) {
      throw new DeviceError(
        'not_first_device',
        'Only the first device of your account can link or remove devices.',
      );
    }
  }

  private async names(): Promise<Record<string, string>> {
    return (await this.records.get('devices', DeviceNames))?.names ?? {};
  }

  private async saveName(key: string, name: string): Promise<void> {
    const names = await this.names();
    await this.records.put('devices', 'devices', { names: { ...names, [key]: name } });
  }

  private emit(event: DeviceEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}

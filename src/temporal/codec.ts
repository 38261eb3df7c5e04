/**
 * Payload encryption: every payload a client or worker of this project hands to Temporal (workflow
 * inputs and results, activity arguments, signals, updates, queries, memos, failures' details) is
 * encrypted with AES-256-GCM before it leaves the process, so the Temporal server, its database and
 * its UI only ever hold ciphertext. Search attributes are not payloads of this kind: they stay in
 * clear for visibility queries, so they carry ids and statuses only (src/contracts/temporal.ts).
 *
 * The format is the one of Temporal's own encryption samples (samples-typescript `encryption`,
 * samples-go, samples-python), so their codec servers and ours read each other's payloads:
 * metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`; data = 12-byte IV, then the
 * ciphertext of the whole original Payload (protobuf-encoded, its metadata included), then the
 * 16-byte GCM tag. Several keys can be loaded at once: one encrypts, every one decrypts, so a new
 * key can take over while histories written under the old one still replay (docs/privacy.md).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const PAYLOAD_KEY_BYTES = 32;
/** A key id travels in clear in every payload's metadata: a name, never anything derived from the key. */
export const PAYLOAD_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKeys {
  /** Every key that may decrypt, by id. */
  keys: ReadonlyMap<string, Buffer>;
  /** The id of the key new payloads are encrypted with. */
  encryptingKeyId: string;
}

export class PayloadEncryptionCodec implements PayloadCodec {
  private readonly encryptingKey: Buffer;

  constructor(private readonly payloadKeys: PayloadKeys) {
    const key = payloadKeys.keys.get(payloadKeys.encryptingKeyId);
    if (!key) throw new Error(`The encrypting payload key "${payloadKeys.encryptingKeyId}" is not among the keys loaded`);
    this.encryptingKey = key;
  }

  get encryptingKeyId(): string {
    return this.payloadKeys.encryptingKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.encryptingKey, iv, { authTagLength: TAG_BYTES });
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_KEY_ID]: Buffer.from(this.payloadKeys.encryptingKeyId),
        },
        data: Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]),
      };
    });
  }

  /** Payloads not encrypted (written before encryption was on, or by a client without it) pass through unchanged. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload;
      const keyId = Buffer.from(payload.metadata![METADATA_KEY_ID] ?? []).toString();
      if (!keyId) throw new ValueError('An encrypted payload has no encryption-key-id: it cannot be decrypted');
      const key = this.payloadKeys.keys.get(keyId);
      if (!key) throw new ValueError(`A payload is encrypted with the key "${keyId}", which is not among PAYLOAD_KEYS: add it back to decrypt it`);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('An encrypted payload is too short to hold its IV and tag');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new ValueError(`A payload encrypted with the key "${keyId}" does not decrypt with it: the key or the payload was altered`);
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString() === ENCRYPTED_ENCODING;
}

/**
 * PAYLOAD_KEYS: `id:base64key` entries separated by commas (each key 32 random bytes, e.g.
 * `openssl rand -base64 32`); PAYLOAD_KEY_ID: the one that encrypts. Throws a sentence naming what is wrong.
 */
export function parsePayloadKeys(list: string, encryptingKeyId: string): PayloadKeys {
  const keys = new Map<string, Buffer>();
  for (const entry of list.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    if (!PAYLOAD_KEY_ID.test(id)) throw new Error('each entry as id:base64key, the id of letters, digits, ".", "_" or "-" (at most 64)');
    const base64 = entry.slice(at + 1);
    const key = Buffer.from(base64, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || key.length !== PAYLOAD_KEY_BYTES) {
      throw new Error(`the key "${id}" to be ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
    }
    if (keys.has(id)) throw new Error(`each key id once; "${id}" is given twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new Error('at least one id:base64key entry');
  if (!keys.has(encryptingKeyId)) throw new Error(`PAYLOAD_KEY_ID to name one of the keys (${[...keys.keys()].join(', ')}), got "${encryptingKeyId}"`);
  return { keys, encryptingKeyId };
}

/** A new key entry for PAYLOAD_KEYS: `<id>:<32 random bytes in base64>`. */
export function newPayloadKeyEntry(id: string): string {
  return `${id}:${randomBytes(PAYLOAD_KEY_BYTES).toString('base64')}`;
}

/** The data converter every client and worker of the project uses; without a codec (encryption off), the SDK's default. */
export function dataConverterOf(codec: PayloadCodec | undefined): DataConverter {
  return codec ? { payloadCodecs: [codec] } : {};
}

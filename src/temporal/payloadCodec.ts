import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createKeyring, type Keyring } from '../crypto/keyring';
import { CallbackEventsError } from '../errors';

/**
 * Every Temporal payload (workflow and activity inputs and results, signals, queries, memos,
 * user metadata such as the static summary and current details) is sealed with AES-256-GCM
 * under the payload key before it leaves the process, so the Temporal database and
 * `temporal workflow show` hold no call data in clear. Search attributes are not payloads a
 * codec sees: they stay readable, and carry only ids, types and statuses.
 *
 * Wire form (the shape of Temporal's `encryption` sample, so its codec-server tooling applies):
 * metadata `encoding: binary/encrypted` and `encryption-key-id: <key id>`, data
 * `iv | tag | ciphertext` of the whole original Payload protobuf (its metadata included).
 * The key id names the key that sealed it, so a payload sealed before a rotation still opens
 * while the old key is configured after the new one.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCODING_KEY = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';

/** Binds sealed payloads to this use, so a value sealed for another purpose never opens here. */
const AAD = Buffer.from('callback-events/temporal-payload/v1', 'utf8');

const { Payload: PayloadProto } = temporal.api.common.v1;

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  /** The id of the key new payloads are sealed with. */
  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = Buffer.from(PayloadProto.encode(payload).finish());
      const { keyId, sealed } = this.keyring.encrypt(plain, AAD);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: utf8(keyId) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was on (or by another client) pass through unchanged.
      if (!isEncrypted(payload)) return payload;
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      if (!keyId) throw new CallbackEventsError('undecodable', `An encrypted payload carries no ${METADATA_KEY_ID}.`);
      if (!payload.data) throw new CallbackEventsError('undecodable', 'An encrypted payload carries no data.');
      const plain = this.keyring.decrypt(keyId, Buffer.from(payload.data), AAD);
      return PayloadProto.decode(plain);
    });
  }
}

/** The codec for the given payload keys: the first encrypts, every one decrypts. */
export function createPayloadCodec(keys: Buffer[]): EncryptionCodec {
  return new EncryptionCodec(createKeyring(keys));
}

/** What `new Client({ dataConverter })` and `Worker.create({ dataConverter })` take. */
export function payloadDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec] };
}

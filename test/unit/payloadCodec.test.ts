import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { createKeyring, keyIdOf } from '../../src/crypto/keyring';
import { hasCode } from '../../src/errors';
import {
  createPayloadCodec,
  ENCRYPTED_ENCODING,
  METADATA_KEY_ID,
  payloadDataConverter,
} from '../../src/temporal/payloadCodec';

/** assert.rejects' check for a value the codec cannot open. */
const undecodable = (err: unknown) => hasCode(err, 'undecodable');
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);

describe('payload codec', () => {
  const marker = `MARKER-${randomBytes(6).toString('hex')}`;
  const event = { type: 'call_completed', data: { callId: 'call-1', summary: `summary ${marker}`, phone: '+1 555 0100' } };

  it('round-trips a payload, metadata included', async () => {
    const codec = createPayloadCodec([randomBytes(32)]);
    const original = toPayload(event);
    const [encoded] = await codec.encode([original]);
    const [decoded] = await codec.decode([encoded]);
    assert.equal(text(decoded.metadata?.encoding), 'json/plain');
    assert.deepEqual(fromPayload(decoded), event);
    assert.deepEqual(Buffer.from(decoded.data!), Buffer.from(original.data!));
  });

  it('hides the content and records the encoding and key id', async () => {
    const key = randomBytes(32);
    const codec = createPayloadCodec([key]);
    const [encoded] = await codec.encode([toPayload(event)]);
    assert.deepEqual(Object.keys(encoded.metadata ?? {}).sort(), ['encoding', METADATA_KEY_ID].sort());
    assert.equal(text(encoded.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(encoded.metadata?.[METADATA_KEY_ID]), keyIdOf(key));
    assert.equal(codec.currentKeyId, keyIdOf(key));
    assert.ok(!Buffer.from(encoded.data!).includes(marker), 'the marker is in the sealed bytes');
    assert.ok(!Buffer.from(encoded.data!).includes('json/plain'), 'the inner metadata is in the sealed bytes');
    // Fresh IV each time: the same payload never seals to the same bytes.
    const [again] = await codec.encode([toPayload(event)]);
    assert.notDeepEqual(Buffer.from(again.data!), Buffer.from(encoded.data!));
  });

  it('encodes and decodes many payloads in order, and none', async () => {
    const codec = createPayloadCodec([randomBytes(32)]);
    const values = [1, 'two', { three: 3 }, null, [marker]];
    const decoded = await codec.decode(await codec.encode(values.map(toPayload)));
    assert.deepEqual(decoded.map(fromPayload), values);
    assert.deepEqual(await codec.encode([]), []);
  });

  it('after a rotation (new key first), decodes payloads sealed by the old key and seals with the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const [sealedByOld] = await createPayloadCodec([oldKey]).encode([toPayload(event)]);
    const rotated = createPayloadCodec([newKey, oldKey]);
    assert.deepEqual(fromPayload((await rotated.decode([sealedByOld]))[0]), event);
    const [sealedByNew] = await rotated.encode([toPayload(event)]);
    assert.equal(text(sealedByNew.metadata?.[METADATA_KEY_ID]), keyIdOf(newKey));
    // Once the old key is removed, its payloads no longer open, with a message that says why.
    await assert.rejects(createPayloadCodec([newKey]).decode([sealedByOld]), (err: Error) => {
      assert.ok(hasCode(err, 'undecodable'), String(err));
      assert.match(err.message, new RegExp(`No key with id ${keyIdOf(oldKey)}`));
      return true;
    });
  });

  it('refuses tampered data, a swapped key id, and a payload without a key id', async () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const codec = createPayloadCodec([a, b]);
    const [encoded] = await codec.encode([toPayload(event)]);

    const flipped = Buffer.from(encoded.data!);
    flipped[flipped.length - 1] ^= 0x01;
    await assert.rejects(codec.decode([{ ...encoded, data: flipped }]), undecodable);

    const truncated = Buffer.from(encoded.data!).subarray(0, 20);
    await assert.rejects(codec.decode([{ ...encoded, data: truncated }]), undecodable);

    const otherKeyId = { ...encoded.metadata, [METADATA_KEY_ID]: Buffer.from(keyIdOf(b)) };
    await assert.rejects(codec.decode([{ ...encoded, metadata: otherKeyId }]), /altered or the key is wrong/);

    const { [METADATA_KEY_ID]: _dropped, ...noKeyId } = encoded.metadata!;
    await assert.rejects(codec.decode([{ ...encoded, metadata: noKeyId }]), undecodable);
  });

  it('does not open a value sealed by the same key for another purpose (store secrets)', async () => {
    const key = randomBytes(32);
    const { keyId, sealed } = createKeyring([key]).encrypt(Buffer.from('{"x":1}'));
    const forged: Payload = {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: Buffer.from(keyId) },
      data: sealed,
    };
    await assert.rejects(createPayloadCodec([key]).decode([forged]), undecodable);
  });

  it('passes payloads that were never encrypted through unchanged', async () => {
    const codec = createPayloadCodec([randomBytes(32)]);
    const plain = toPayload({ written: 'before encryption was on' });
    const [decoded] = await codec.decode([plain]);
    assert.equal(decoded, plain);
  });

  it('gives the DataConverter that Client and Worker take', () => {
    const codec = createPayloadCodec([randomBytes(32)]);
    assert.deepEqual(payloadDataConverter(codec), { payloadCodecs: [codec] });
  });
});

describe('codec endpoint for the Web UI', () => {
  it('serves the dev server UI under /ui on loopback, decoding through the API’s /codec', async () => {
    const { devServerArgs } = await import('../../src/temporal/devServer');
    const { browserUrlOf, UI_CODEC_ENDPOINT } = await import('../../src/runtime');
    const base = { cliPath: 'temporal', dataDir: '/tmp/x', port: 7233, uiPort: 8233, namespace: 'default' };
    const args = devServerArgs({ ...base, codecEndpoint: UI_CODEC_ENDPOINT, uiPublicPath: '/ui' });
    const flag = (name: string) => args[args.indexOf(name) + 1];
    assert.equal(flag('--ui-codec-endpoint'), '/codec');
    assert.equal(flag('--ui-public-path'), '/ui');
    assert.equal(flag('--ui-ip'), '127.0.0.1');
    assert.ok(!devServerArgs(base).includes('--ui-codec-endpoint'));
    assert.ok(!devServerArgs({ ...base, headless: true, codecEndpoint: 'http://x/codec' }).includes('--ui-codec-endpoint'));
    // The browser cannot call a wildcard address.
    assert.equal(browserUrlOf('0.0.0.0', 3000), 'http://127.0.0.1:3000');
    assert.equal(browserUrlOf('::', 3000), 'http://[::1]:3000');
    assert.equal(browserUrlOf('127.0.0.1', 3000), 'http://127.0.0.1:3000');
  });
});

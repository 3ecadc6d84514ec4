import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { endpointCreateSchema, endpointPatchSchema, type EndpointWithSecret } from '../../src/domain/endpoint';
import { requestHeaders } from '../../src/domain/outgoing';
import { generateSecret, publicKeyOf, TRACEPARENT_SIGNATURE_HEADER } from '../../src/domain/signing';
import { verifyTraceparent, verifyWebhook } from '../../src/domain/verify';

/** `sendTraceparent`: the traceparent header and its own signature (docs/tracing.md). */

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const body = JSON.stringify({ id: 'evt_1', type: 'call_completed', data: { callId: 'call_1' } });

function endpoint(secret: string, extra: Partial<EndpointWithSecret> = {}): EndpointWithSecret {
  return { id: 'ep-1', url: 'https://hooks.example.com/in', secret, createdAt: '', updatedAt: '', sendTraceparent: true, ...extra };
}

/** The documented rule with the standardwebhooks package: the payload `${traceparent}.${body}`, the traceparent signature. */
function libraryVerifies(secret: string, headers: Record<string, string>, tp = headers.traceparent): boolean {
  try {
    new Webhook(secret).verify(
      `${tp}.${body}`,
      { ...headers, 'webhook-signature': headers[TRACEPARENT_SIGNATURE_HEADER] },
      { jsonParse: false },
    );
    return true;
  } catch {
    return false;
  }
}

describe('a signed traceparent', () => {
  it('is signed with the same secret, id and timestamp, leaving webhook-signature as it is', () => {
    const secret = generateSecret();
    const headers = requestHeaders(endpoint(secret), 'evt_1', body, { traceparent });
    assert.equal(headers.traceparent, traceparent);
    assert.match(headers[TRACEPARENT_SIGNATURE_HEADER], /^v1,[A-Za-z0-9+/]+=*$/);
    assert.notEqual(headers[TRACEPARENT_SIGNATURE_HEADER], headers['webhook-signature']);
    new Webhook(secret).verify(body, headers);
    assert.ok(libraryVerifies(secret, headers));
    assert.equal(verifyTraceparent({ payload: body, headers, secret }), traceparent);
  });

  it('fails verification once the traceparent or the body changes', () => {
    const secret = generateSecret();
    const headers = requestHeaders(endpoint(secret), 'evt_1', body, { traceparent });
    const forged = traceparent.replace('00f067aa0ba902b7', '1111111111111111');
    assert.equal(libraryVerifies(secret, headers, forged), false);
    assert.throws(() => verifyTraceparent({ payload: body, headers: { ...headers, traceparent: forged }, secret }), /No matching signature/);
    assert.throws(() => verifyTraceparent({ payload: `${body} `, headers, secret }), /No matching signature/);
    const { [TRACEPARENT_SIGNATURE_HEADER]: _dropped, ...unsigned } = headers;
    assert.throws(() => verifyTraceparent({ payload: body, headers: unsigned, secret }), /Missing header/);
  });

  it('is signed by both secrets during a rotation, and by ed25519 keys as v1a', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const rotated = requestHeaders(endpoint(current, { previousSecret: previous }), 'evt_1', body, { traceparent });
    assert.equal(rotated[TRACEPARENT_SIGNATURE_HEADER].split(' ').length, 2);
    assert.ok(libraryVerifies(current, rotated) && libraryVerifies(previous, rotated));
    const ed = generateSecret('ed25519');
    const headers = requestHeaders(endpoint(ed, { signing: 'ed25519' }), 'evt_1', body, { traceparent });
    assert.match(headers[TRACEPARENT_SIGNATURE_HEADER], /^v1a,/);
    assert.deepEqual(verifyWebhook({ payload: body, headers, publicKey: publicKeyOf(ed) }), JSON.parse(body));
    assert.equal(verifyTraceparent({ payload: body, headers, publicKey: publicKeyOf(ed) }), traceparent);
  });

  it('is absent without a traceparent (tracing off), whatever the endpoint asks', () => {
    const headers = requestHeaders(endpoint(generateSecret()), 'evt_1', body);
    assert.equal(headers.traceparent, undefined);
    assert.equal(headers[TRACEPARENT_SIGNATURE_HEADER], undefined);
    assert.equal(verifyTraceparent({ payload: body, headers, secret: generateSecret() }), undefined);
  });

  it('is the service\'s header: an endpoint cannot set traceparent or its signature itself; sendTraceparent is a boolean', () => {
    for (const name of ['traceparent', 'Traceparent', TRACEPARENT_SIGNATURE_HEADER]) {
      assert.equal(endpointCreateSchema.safeParse({ url: 'https://x.example.com', headers: { [name]: 'x' } }).success, false, name);
    }
    assert.equal(endpointCreateSchema.safeParse({ url: 'https://x.example.com', sendTraceparent: true }).success, true);
    assert.equal(endpointCreateSchema.safeParse({ url: 'https://x.example.com', sendTraceparent: 'yes' }).success, false);
    assert.deepEqual(endpointPatchSchema.parse({ sendTraceparent: null }), { sendTraceparent: null });
  });
});

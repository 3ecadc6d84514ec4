import assert from 'node:assert/strict';
import { createReferenceTokens, type ReferenceClaims } from '../../src/crypto/referenceTokens';
import { catalog, referencedPaths, sensitivePaths, eventTypes } from '../../src/domain/catalog';
import { referenceExpiry, referenceUrl, withReferences } from '../../src/domain/references';

/** Reference tokens (src/crypto/referenceTokens.ts) and where references replace links (src/domain/references.ts). */

const OLD_KEY = Buffer.alloc(32, 1);
const NEW_KEY = Buffer.alloc(32, 2);
const claims: ReferenceClaims = { eventId: 'evt_01JD9', endpointId: 'crm-prod', field: 'recordingUrl', issuedAt: 1_899_990_000, expiresAt: 1_900_000_000 };
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

describe('reference tokens', () => {
  it('round-trips the claims, in a URL-safe token with a 128-bit tag', () => {
    const tokens = createReferenceTokens([NEW_KEY]);
    const token = tokens.mint(claims);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    assert.equal(encodeURIComponent(token), token);
    assert.deepEqual(tokens.verify(token), claims);
  });

  it('refuses a token with any one character changed, at every position', () => {
    const tokens = createReferenceTokens([NEW_KEY]);
    const token = tokens.mint(claims);
    for (let i = 0; i < token.length; i++) {
      for (const replacement of [ALPHABET[(ALPHABET.indexOf(token[i]) + 1) % ALPHABET.length], ALPHABET[(ALPHABET.indexOf(token[i]) + 33) % ALPHABET.length]]) {
        const altered = token.slice(0, i) + replacement + token.slice(i + 1);
        assert.equal(tokens.verify(altered), undefined, `position ${i}: ${token[i]} → ${replacement}`);
      }
    }
  });

  it('refuses claims signed by another key, truncated or padded tokens, and junk', () => {
    const tokens = createReferenceTokens([NEW_KEY]);
    const token = tokens.mint(claims);
    const forged = createReferenceTokens([Buffer.alloc(32, 3)]).mint(claims);
    for (const bad of [forged, token.slice(0, -1), `${token}A`, `${token}.x`, '', '.', 'abc', 'a.b', token.replace('.', ''), 'x'.repeat(5000)]) {
      assert.equal(tokens.verify(bad), undefined, bad.slice(0, 60));
    }
  });

  it('verifies an expired token (the route tells expired from unknown): expiry is a claim, checked by the caller', () => {
    const tokens = createReferenceTokens([NEW_KEY]);
    const expired = { ...claims, issuedAt: 0, expiresAt: 1 };
    assert.deepEqual(tokens.verify(tokens.mint(expired)), expired);
  });

  it('keeps working across a master key rotation: every configured key verifies, the first signs', () => {
    const before = createReferenceTokens([OLD_KEY]).mint(claims);
    const during = createReferenceTokens([NEW_KEY, OLD_KEY]);
    assert.deepEqual(during.verify(before), claims, 'a token minted before the rotation');
    const minted = during.mint(claims);
    assert.deepEqual(createReferenceTokens([NEW_KEY]).verify(minted), claims, 'signed with the new key');
    assert.equal(createReferenceTokens([OLD_KEY]).verify(minted), undefined);
    assert.equal(createReferenceTokens([NEW_KEY]).verify(before), undefined, 'the old key removed: its tokens stop');
  });

  it('signs with a key derived from the master key, not with the master key itself', async () => {
    const { createHmac } = await import('node:crypto');
    const token = createReferenceTokens([NEW_KEY]).mint(claims);
    const [body, tag] = token.split('.');
    assert.notEqual(createHmac('sha256', NEW_KEY).update(body).digest().subarray(0, 16).toString('base64url'), tag);
  });
});

describe('references in delivered data', () => {
  it('marks exactly the three links, each sensitive and at the top level of its event', () => {
    const marked = eventTypes.flatMap((type) => referencedPaths(type).map((path) => `${type}.${path}`));
    assert.deepEqual(marked.sort(), ['call_completed.recordingUrl', 'recording_ready.url', 'transcription_ready.url']);
    for (const type of eventTypes) for (const path of referencedPaths(type)) assert.ok(sensitivePaths(type).includes(path) && !path.includes('.'));
    // The catalog's JSON Schema says so, for GET /v1/event-types readers.
    for (const entry of catalog()) {
      const props = (entry.schema as { properties: Record<string, Record<string, unknown>> }).properties;
      const flagged = Object.keys(props).filter((key) => props[key]['x-reference'] === true);
      assert.deepEqual(flagged, referencedPaths(entry.type), entry.type);
    }
  });

  it('replaces the links only for an approved endpoint not on raw', async () => {
    const data = { callId: 'c-1', recordingUrl: 'https://store.example/r.wav', summary: 's' };
    const seen: string[] = [];
    const referencer = async ({ eventId, field, url }: { eventId: string; field: string; url: string }) => {
      seen.push(`${eventId} ${field} ${url}`);
      return 'https://callbacks.example/v1/references/t';
    };
    const replaced = await withReferences('call_completed', 'evt_1', data, { sensitive: true }, referencer);
    assert.deepEqual(replaced, { ...data, recordingUrl: 'https://callbacks.example/v1/references/t' });
    assert.deepEqual(seen, ['evt_1 recordingUrl https://store.example/r.wav']);
    assert.equal(data.recordingUrl, 'https://store.example/r.wav', 'the input is not changed');
    assert.deepEqual(await withReferences('call_completed', 'evt_1', data, { sensitive: true, referenceUrls: 'raw' }, referencer), data);
    assert.deepEqual(await withReferences('call_completed', 'evt_1', data, {}, referencer), data);
  });

  it('expires after the TTL (default a day), never after the review window', () => {
    const now = 1_000_000_000_000;
    assert.equal(referenceExpiry(undefined, 7 * 86_400_000, now), now / 1000 + 86_400);
    assert.equal(referenceExpiry({ sensitive: true, referenceTtlSeconds: 60 }, 7 * 86_400_000, now), now / 1000 + 60);
    assert.equal(referenceExpiry({ sensitive: true, referenceTtlSeconds: 30 * 86_400 }, 3_600_000, now), now / 1000 + 3600);
    assert.equal(referenceUrl('https://callbacks.example/base/', 'tok'), 'https://callbacks.example/base/v1/references/tok');
  });
});

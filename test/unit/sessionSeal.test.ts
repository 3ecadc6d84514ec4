import assert from 'node:assert/strict';
import express from 'express';
import { createKeyring } from '../../src/crypto/keyring';
import { createSessionSeal, type SessionClaims } from '../../src/crypto/sessionSeal';
import { cookieMayAct } from '../../src/api/sessionCookie';
import { listen } from '../helpers/listen';

/** The login cookie's seal (src/crypto/sessionSeal.ts) and the origin rule (src/api/sessionCookie.ts). */

const OLD_KEY = Buffer.alloc(32, 1);
const NEW_KEY = Buffer.alloc(32, 2);
const claims: SessionClaims = { keyHash: 'ab'.repeat(32), tenantKey: true, expiresAt: 1_900_000_000 };
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('login session seal', () => {
  it('round-trips the claims in a cookie-safe value that does not show the hash', () => {
    const seal = createSessionSeal([NEW_KEY]);
    const sealed = seal.seal(claims);
    assert.match(sealed, /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes(claims.keyHash));
    assert.deepEqual(seal.open(sealed), claims);
    // A fresh IV each time: two seals of the same claims differ.
    assert.notEqual(seal.seal(claims), sealed);
  });

  it('opens with every configured master key and seals with the first (rotation)', () => {
    const old = createSessionSeal([OLD_KEY]).seal(claims);
    const rotated = createSessionSeal([NEW_KEY, OLD_KEY]);
    assert.deepEqual(rotated.open(old), claims);
    assert.equal(createSessionSeal([NEW_KEY]).open(old), undefined);
    assert.deepEqual(createSessionSeal([NEW_KEY]).open(rotated.seal(claims)), claims);
  });

  it('refuses a value with any one character of its body changed, and anything not its own', () => {
    const seal = createSessionSeal([NEW_KEY]);
    const sealed = seal.seal(claims);
    const start = sealed.lastIndexOf('.') + 1;
    for (let i = start; i < sealed.length; i++) {
      const replacement = ALPHABET[(ALPHABET.indexOf(sealed[i]) + 1) % ALPHABET.length];
      assert.equal(seal.open(sealed.slice(0, i) + replacement + sealed.slice(i + 1)), undefined, `position ${i}`);
    }
    // The master keyring's own seal of the same text is not a session: the key is derived, and bound to its purpose.
    assert.equal(seal.open(createKeyring([NEW_KEY]).seal(JSON.stringify([claims.keyHash, true, claims.expiresAt]))), undefined);
    for (const junk of ['', 'v1', 'v1..', 'v2.x.y', `${sealed}.x`, `v1.${'a'.repeat(2000)}.b`]) assert.equal(seal.open(junk), undefined, junk);
  });
});

describe('the origin rule for cookie-authenticated requests', () => {
  it('lets reads through, and changes only from the Host they were sent to, the public URL, or Sec-Fetch-Site: same-origin', async () => {
    const app = express();
    app.all('/check', (req, res) => {
      res.json({ may: cookieMayAct(req, 'https://callbacks.example.com') });
    });
    const { base, close } = await listen(app);
    try {
      const may = async (method: string, headers: Record<string, string>) =>
        ((await (await fetch(`${base}/check`, { method, headers })).json()) as { may: boolean }).may;
      assert.equal(await may('GET', { origin: 'https://evil.example' }), true);
      assert.equal(await may('POST', { origin: base }), true);
      assert.equal(await may('POST', { origin: 'https://callbacks.example.com' }), true);
      assert.equal(await may('DELETE', { 'sec-fetch-site': 'same-origin' }), true);
      assert.equal(await may('POST', { origin: 'http://callbacks.example.com' }), false);
      assert.equal(await may('POST', { origin: base.replace(/:\d+$/, ':1') }), false);
      assert.equal(await may('POST', { origin: 'null' }), false);
      assert.equal(await may('PATCH', {}), false);
      assert.equal(await may('POST', { 'sec-fetch-site': 'same-site' }), false);
    } finally {
      await close();
    }
  });
});

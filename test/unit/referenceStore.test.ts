import assert from 'node:assert/strict';
import { describeEachStore } from '../helpers/storeKinds';

/**
 * The links reference URLs redirect to, in each store (SQLite, PostgreSQL): kept sealed, one row
 * per event and field, read back until their keep time, extended (never shortened) when kept
 * again, purged after it, and readable after a master key rotation.
 */

const OLD_KEY = Buffer.alloc(32, 4);
const NEW_KEY = Buffer.alloc(32, 5);
const URL_A = 'https://recordings.example/2026/11/call-8f3a.wav?X-Amz-Signature=abc123';
const at = (iso: string) => new Date(iso);

describeEachStore('referenced links', [OLD_KEY], ({ store: s, place, reopen }) => {

  it('keeps a link sealed and reads it back until its keep time, per event and field', async () => {
    await s().keepReferencedLink({ eventId: 'evt_1', field: 'recordingUrl', url: URL_A, keepUntil: at('2026-12-01T00:00:00Z') });
    assert.equal(await s().referencedLink('evt_1', 'recordingUrl', at('2026-11-30T00:00:00Z')), URL_A);
    assert.equal(await s().referencedLink('evt_1', 'url', at('2026-11-30T00:00:00Z')), undefined);
    assert.equal(await s().referencedLink('evt_2', 'recordingUrl', at('2026-11-30T00:00:00Z')), undefined);
    assert.equal(await s().referencedLink('evt_1', 'recordingUrl', at('2026-12-01T00:00:01Z')), undefined, 'past its keep time');

    const raw = await place().rawReferencedLink('evt_1', 'recordingUrl');
    assert.ok(raw !== undefined && raw.startsWith('v1.'), raw);
    assert.ok(!raw.includes('recordings.example') && !raw.includes('abc123'), 'the link is sealed at rest');
  });

  it('keeps one row per event and field: keeping it again extends the keep time, never shortens it', async () => {
    const key = { eventId: 'evt_3', field: 'url', url: URL_A };
    await s().keepReferencedLink({ ...key, keepUntil: at('2026-12-02T00:00:00Z') });
    await s().keepReferencedLink({ ...key, keepUntil: at('2026-12-01T00:00:00Z') });
    assert.equal(await s().referencedLink('evt_3', 'url', at('2026-12-01T12:00:00Z')), URL_A, 'not shortened');
    await s().keepReferencedLink({ ...key, keepUntil: at('2026-12-05T00:00:00Z') });
    assert.equal(await s().referencedLink('evt_3', 'url', at('2026-12-04T00:00:00Z')), URL_A, 'extended');
  });

  it('purges the links past their keep time, and only those', async () => {
    await s().keepReferencedLink({ eventId: 'evt_a', field: 'url', url: URL_A, keepUntil: at('2026-12-01T00:00:00Z') });
    await s().keepReferencedLink({ eventId: 'evt_b', field: 'url', url: URL_A, keepUntil: at('2026-12-03T00:00:00Z') });
    assert.equal(await s().purgeReferencedLinks(at('2026-11-30T00:00:00Z')), 0);
    assert.equal(await s().purgeReferencedLinks(at('2026-12-02T00:00:00Z')), 1);
    assert.equal(await place().rawReferencedLink('evt_a', 'url'), undefined, 'the row is gone');
    assert.equal(await s().referencedLink('evt_b', 'url', at('2026-12-02T00:00:00Z')), URL_A);
  });

  it('reads links sealed before a master key rotation, with the old key second', async () => {
    await s().keepReferencedLink({ eventId: 'evt_r', field: 'url', url: URL_A, keepUntil: at('2026-12-01T00:00:00Z') });
    await reopen([NEW_KEY, OLD_KEY]);
    assert.equal(await s().referencedLink('evt_r', 'url', at('2026-11-30T00:00:00Z')), URL_A);
    await reopen([NEW_KEY]);
    await assert.rejects(s().referencedLink('evt_r', 'url', at('2026-11-30T00:00:00Z')), (err: Error & { code?: string }) => err.code === 'store_key_error');
  });
});

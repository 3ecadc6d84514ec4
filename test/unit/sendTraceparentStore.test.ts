import assert from 'node:assert/strict';
import { generateSecret } from '../../src/domain/signing';
import { describeEachStore } from '../helpers/storeKinds';

/**
 * `sendTraceparent` is an endpoint setting like the others: kept in each store (SQLite,
 * PostgreSQL) with the settings, read back by the worker, changed and cleared by a patch.
 */

describeEachStore('sendTraceparent', [Buffer.alloc(32, 6)], ({ store: s, reopen }) => {
  it('is kept, read back after a reopen, and cleared by a null patch', async () => {
    await s().createEndpoint({ id: 'ep-tp', secret: generateSecret(), settings: { url: 'https://hooks.example.com/in', sendTraceparent: true } });
    await s().createEndpoint({ id: 'ep-plain', secret: generateSecret(), settings: { url: 'https://hooks.example.com/in' } });
    await reopen();
    assert.equal((await s().getEndpoint('ep-tp'))?.sendTraceparent, true);
    assert.equal((await s().getEndpoint('ep-plain'))?.sendTraceparent, undefined);
    assert.equal((await s().updateEndpoint('ep-plain', { sendTraceparent: true }))?.sendTraceparent, true);
    assert.equal((await s().updateEndpoint('ep-tp', { sendTraceparent: null }))?.sendTraceparent, undefined);
    assert.equal((await s().getEndpoint('ep-tp'))?.sendTraceparent, undefined);
    assert.equal((await s().getEndpoint('ep-plain'))?.sendTraceparent, true);
  });
});

import type { Pool, PoolClient } from 'pg';
import type { EndpointSettings } from '../../domain/endpoint';
import type { Keyring } from '../../crypto/keyring';
import { CallbackEventsError } from '../../errors';
import { applyPatch, settingsOf, withoutSecret } from '../endpointRecords';
import { toEndpoint, type EndpointMethods, type EndpointRow } from '../rows';
import { sealSettings } from '../secrets';
import { inTransaction } from './transaction';
import { forgetFlow } from './flow';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';
import { subscriptionKeys, toCandidate, type CandidateRow } from '../subscriptions';

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';


/** The endpoints table, secrets sealed with `keyring` (the rules of ../secrets.ts and ../endpointRecords.ts). */
export function createPgEndpoints(pool: Pool, keyring: Keyring): EndpointMethods {
  const storedSettings = (settings: EndpointSettings) => JSON.stringify(sealSettings(keyring, settings));
  // A null tenant: any tenant (the worker's reads, by ids its workflows hold).
  const get = async (db: Pool | PoolClient, id: string, tenant: string | null, lock = false) => {
    const { rows } = await db.query<EndpointRow>(
      `SELECT * FROM endpoints WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)${lock ? ' FOR UPDATE' : ''}`,
      [id, tenant],
    );
    return rows[0] && toEndpoint(rows[0], keyring);
  };
  const saveSettings = (client: PoolClient, id: string, settings: EndpointSettings) =>
    client.query('UPDATE endpoints SET settings = $2, updated_at = $3 WHERE id = $1', [id, storedSettings(settings), new Date().toISOString()]);
  /** Keeps the subscription index in step with the endpoint's event types (../subscriptions.ts). */
  const subscribe = async (client: PoolClient, id: string, tenant: string, settings: EndpointSettings) => {
    await client.query('DELETE FROM endpoint_subscriptions WHERE endpoint_id = $1', [id]);
    await client.query(
      'INSERT INTO endpoint_subscriptions (tenant_id, event_type, endpoint_id) SELECT $1, t, $3 FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING',
      [tenant, subscriptionKeys(settings), id],
    );
  };

  return {
    async createEndpoint({ id, secret, settings, tenantId = DEFAULT_TENANT_ID }) {
      const now = new Date().toISOString();
      try {
        await inTransaction(pool, async (client) => {
          await client.query('INSERT INTO endpoints (id, secret, settings, created_at, updated_at, tenant_id) VALUES ($1, $2, $3, $4, $4, $5)', [
            id,
            keyring.seal(secret),
            storedSettings(settings),
            now,
            tenantId,
          ]);
          await subscribe(client, id, tenantId, settings);
        });
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
          throw new CallbackEventsError('conflict', `An endpoint with id "${id}" already exists.`);
        }
        throw err;
      }
      return (await get(pool, id, null))!;
    },
    async getEndpoint(id, tenantId) {
      return get(pool, id, tenantId ?? null);
    },
    async listEndpoints(tenantId) {
      const { rows } = await pool.query<EndpointRow>('SELECT * FROM endpoints WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY created_at, id', [
        tenantId ?? null,
      ]);
      return rows.map((row) => withoutSecret(toEndpoint(row, keyring)));
    },
    // Read-modify-write with the row locked: an API on one host and a worker on another editing
    // the same endpoint apply their changes one after the other, neither lost.
    async updateEndpoint(id, patch, tenantId) {
      return inTransaction(pool, async (client) => {
        const current = await get(client, id, tenantId ?? null, true);
        if (!current) return undefined;
        const settings = applyPatch(settingsOf(current), patch);
        await saveSettings(client, id, settings);
        const { rows } = await client.query<{ tenant_id: string }>('SELECT tenant_id FROM endpoints WHERE id = $1', [id]);
        await subscribe(client, id, rows[0].tenant_id, settings);
        return withoutSecret((await get(client, id, null))!);
      });
    },
    async disableEndpoint(id, reason) {
      return inTransaction(pool, async (client) => {
        const current = await get(client, id, null, true);
        if (!current || current.disabled) return false;
        await saveSettings(client, id, { ...settingsOf(current), disabled: true, disabledReason: reason });
        return true;
      });
    },
    async deleteEndpoint(id, tenantId) {
      return inTransaction(pool, async (client) => {
        const deleted = await client.query('DELETE FROM endpoints WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)', [id, tenantId ?? null]);
        const removed = (deleted.rowCount ?? 0) > 0;
        // An endpoint made again with this id starts with fresh flow control.
        if (removed) {
          await client.query('DELETE FROM endpoint_subscriptions WHERE endpoint_id = $1', [id]);
          await forgetFlow(client, id);
        }
        return removed;
      });
    },
    async matchCandidates(tenantId, eventTypes) {
      const { rows } = await pool.query<CandidateRow>(
        `SELECT e.id, e.tenant_id, e.settings, e.created_at, e.updated_at
         FROM endpoint_subscriptions s JOIN endpoints e ON e.id = s.endpoint_id AND e.tenant_id = s.tenant_id
         WHERE s.tenant_id = $1 AND s.event_type = ANY($2::text[])
         ORDER BY e.created_at, e.id`,
        [tenantId, eventTypes],
      );
      return rows.map(toCandidate);
    },
    async matchCandidate(id, tenantId) {
      const { rows } = await pool.query<CandidateRow>(
        'SELECT id, tenant_id, settings, created_at, updated_at FROM endpoints WHERE id = $1 AND tenant_id = $2',
        [id, tenantId],
      );
      return rows[0] && toCandidate(rows[0]);
    },
    async tenantOfEndpoint(id) {
      const { rows } = await pool.query<{ tenant_id: string }>('SELECT tenant_id FROM endpoints WHERE id = $1', [id]);
      return rows[0]?.tenant_id;
    },
    async rotateSecret(id, { secret, graceMs }, tenantId) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ secret: string }>(
          'SELECT secret FROM endpoints WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2) FOR UPDATE',
          [id, tenantId ?? null],
        );
        if (!rows[0]) return undefined;
        const now = new Date();
        const expiresAt = new Date(now.getTime() + graceMs).toISOString();
        // The current secret, still sealed, becomes the previous one; one in grace already is dropped.
        await client.query(
          `UPDATE endpoints SET secret = $2, previous_secret = $3, previous_secret_expires_at = $4, updated_at = $5 WHERE id = $1`,
          [id, keyring.seal(secret), graceMs > 0 ? rows[0].secret : null, graceMs > 0 ? expiresAt : null, now.toISOString()],
        );
        return { secret, previousSecretExpiresAt: expiresAt };
      });
    },
    async noteEndpointOutcome(id, ok, at) {
      if (ok) {
        await pool.query('UPDATE endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL', [id]);
        return {};
      }
      const { rows } = await pool.query<{ failing_since: string }>(
        'UPDATE endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 RETURNING failing_since',
        [id, at.toISOString()],
      );
      return rows[0] ? { failingSince: new Date(rows[0].failing_since) } : {};
    },
  };
}

import type { Pool } from 'pg';
import type { Keyring } from '../../crypto/keyring';
import { openLink, sealLink } from '../secrets';
import type { Store } from '../store';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';

/** Referenced links (store.ts): sealed, one row per tenant, event and field, `keep_until` in epoch ms. */
export function createPgReferences(pool: Pool, keyring: Keyring): Pick<Store, 'keepReferencedLink' | 'referencedLink' | 'purgeReferencedLinks'> {
  return {
    async keepReferencedLink({ eventId, field, url, keepUntil, tenantId = DEFAULT_TENANT_ID }) {
      await pool.query(
        `INSERT INTO referenced_links (tenant_id, event_id, field, sealed_url, keep_until) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, event_id, field) DO UPDATE SET sealed_url = excluded.sealed_url,
           keep_until = GREATEST(referenced_links.keep_until, excluded.keep_until)`,
        [tenantId, eventId, field, sealLink(keyring, eventId, field, url), keepUntil.getTime()],
      );
    },
    async referencedLink(eventId, field, now = new Date(), tenantId = DEFAULT_TENANT_ID) {
      const { rows } = await pool.query<{ sealed_url: string }>(
        'SELECT sealed_url FROM referenced_links WHERE tenant_id = $1 AND event_id = $2 AND field = $3 AND keep_until >= $4',
        [tenantId, eventId, field, now.getTime()],
      );
      return rows[0] ? openLink(keyring, eventId, field, rows[0].sealed_url) : undefined;
    },
    async purgeReferencedLinks(now) {
      return (await pool.query('DELETE FROM referenced_links WHERE keep_until < $1', [now.getTime()])).rowCount ?? 0;
    },
  };
}

import type Database from 'better-sqlite3';
import type { Keyring } from '../../crypto/keyring';
import { openLink, sealLink } from '../secrets';
import type { Store } from '../store';
import { DEFAULT_TENANT_ID } from '../../domain/tenant';

/** Referenced links (store.ts): sealed, one row per tenant, event and field, `keep_until` in epoch ms. */
export function createSqliteReferences(db: Database.Database, keyring: Keyring): Pick<Store, 'keepReferencedLink' | 'referencedLink' | 'purgeReferencedLinks'> {
  const stmt = {
    keep: db.prepare(
      `INSERT INTO referenced_links (tenant_id, event_id, field, sealed_url, keep_until) VALUES (@tenantId, @eventId, @field, @sealed, @keepUntil)
       ON CONFLICT (tenant_id, event_id, field) DO UPDATE SET sealed_url = excluded.sealed_url, keep_until = MAX(keep_until, excluded.keep_until)`,
    ),
    get: db.prepare('SELECT sealed_url FROM referenced_links WHERE tenant_id = ? AND event_id = ? AND field = ? AND keep_until >= ?'),
    purge: db.prepare('DELETE FROM referenced_links WHERE keep_until < ?'),
  };
  return {
    async keepReferencedLink({ eventId, field, url, keepUntil, tenantId = DEFAULT_TENANT_ID }) {
      stmt.keep.run({ tenantId, eventId, field, sealed: sealLink(keyring, eventId, field, url), keepUntil: keepUntil.getTime() });
    },
    async referencedLink(eventId, field, now = new Date(), tenantId = DEFAULT_TENANT_ID) {
      const row = stmt.get.get(tenantId, eventId, field, now.getTime()) as { sealed_url: string } | undefined;
      return row ? openLink(keyring, eventId, field, row.sealed_url) : undefined;
    },
    async purgeReferencedLinks(now) {
      return stmt.purge.run(now.getTime()).changes;
    },
  };
}

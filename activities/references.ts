import type { Endpoint } from '../src/domain/endpoint';
import { REVIEW_WINDOW_MS_DEFAULT } from '../src/domain/endpoint';
import { referenceExpiry, referenceUrl, type Referencer, type References } from '../src/domain/references';
import type { Store } from '../src/store/store';

/**
 * The delivery's referencer: keeps the link sealed in the store until the reference expires,
 * then mints the reference. Keeping comes first, so no receiver ever holds a reference to a
 * link the store does not have. A retry or resend mints again and only moves the keep time on.
 */
export function deliveryReferencer(store: Store, references: References, endpoint: Endpoint, tenantId: string, now = Date.now()): Referencer {
  const expiresAt = referenceExpiry(endpoint.payloadScope, endpoint.reviewWindowMs ?? REVIEW_WINDOW_MS_DEFAULT, now);
  const issuedAt = Math.floor(now / 1000);
  return async ({ eventId, field, url }) => {
    // Under the endpoint's tenant: two tenants may use the same event id.
    await store.keepReferencedLink({ eventId, field, url, keepUntil: new Date(expiresAt * 1000), tenantId });
    return referenceUrl(references.publicUrl, references.tokens.mint({ eventId, endpointId: endpoint.id, field, issuedAt, expiresAt }));
  };
}

import type { ReferenceTokens } from '../crypto/referenceTokens';
import { referencedPaths, type EventType } from './catalog';
import { REFERENCE_TTL_SECONDS_DEFAULT, type PayloadScope } from './scope';

/**
 * Reference URLs: an endpoint approved for sensitive data receives, in place of each link to
 * stored call data (`call_completed.recordingUrl`, `transcription_ready.url`,
 * `recording_ready.url`), `<public url>/v1/references/<token>`, which redirects to the link while
 * the token is valid and the endpoint still holds the approval (docs/data-protection.md).
 */

/** What minting needs: where the API is reached from outside, and the token keys. */
export interface References {
  publicUrl: string;
  tokens: ReferenceTokens;
}

/** Puts a reference in place of one link and answers it (the delivery also keeps the link sealed; the preview does not). */
export type Referencer = (link: { eventId: string; field: string; url: string }) => Promise<string>;

export const REFERENCES_PATH = '/v1/references';

export function referenceUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${REFERENCES_PATH}/${token}`;
}

/** Whether an endpoint with this scope gets references: approved for sensitive data, and not on `raw`. */
export function getsReferences(scope: PayloadScope | undefined): boolean {
  return scope?.sensitive === true && scope.referenceUrls !== 'raw';
}

/**
 * When a reference minted now stops answering (epoch seconds): after the scope's TTL, and never
 * after the endpoint's review window, past which the delivery can no longer be resent from review.
 */
export function referenceExpiry(scope: PayloadScope | undefined, reviewWindowMs: number, nowMs: number): number {
  const ttlMs = Math.min((scope?.referenceTtlSeconds ?? REFERENCE_TTL_SECONDS_DEFAULT) * 1000, reviewWindowMs);
  return Math.floor((nowMs + ttlMs) / 1000);
}

/**
 * Scoped `data` with each link replaced by what `referencer` answers. The links are top-level
 * fields of their events; a missing one (optional, or scoped out) is left alone.
 */
export async function withReferences(
  type: EventType,
  eventId: string,
  data: Record<string, unknown>,
  scope: PayloadScope | undefined,
  referencer: Referencer,
): Promise<Record<string, unknown>> {
  if (!getsReferences(scope)) return data;
  const out = { ...data };
  for (const field of referencedPaths(type)) {
    const url = out[field];
    if (typeof url === 'string') out[field] = await referencer({ eventId, field, url });
  }
  return out;
}

import { randomBytes } from 'node:crypto';
import { createWebhookClient, type PostOutcome, type WebhookClient } from '../src/http/webhookClient';
import { signatureHeaders } from '../src/domain/signing';
import { USER_AGENT } from '../src/version';

/**
 * The POST both ceilings make: the project's own outbound client, a body the size and shape of
 * a scoped `call_completed` delivery, signed afresh (Standard Webhooks v1) on every call, with the
 * headers the service sends. So the ceilings differ from the service only in what Temporal and
 * the service's own logic add.
 */

/** The outbound client allowed to reach the receiver on loopback over plain http. */
export function benchWebhookClient(): WebhookClient {
  return createWebhookClient({ policy: { allowHttp: true, allowPrivateTargets: true } });
}

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function deliveryBody(id: string): string {
  return JSON.stringify({
    id,
    type: 'call_completed',
    timestamp: new Date().toISOString(),
    data: {
      callId: `call-${id}`,
      startedAt: '2026-11-29T09:58:00.000Z',
      endedAt: '2026-11-29T10:00:00.000Z',
      durationMs: 120_000,
      endedReason: 'caller_hangup',
      disposition: 'qualified',
      metadata: { phase: 'ceiling', leadId: 'L-1042' },
    },
  });
}

export function signedPost(client: WebhookClient, url: string, secret: string, id: string): Promise<PostOutcome> {
  const body = deliveryBody(id);
  return client.post({
    url,
    body,
    timeoutMs: 15_000,
    headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...signatureHeaders(secret, id, body) },
  });
}

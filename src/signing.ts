import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Standard Webhooks `v1` signing: HMAC-SHA256 over `${id}.${timestamp}.${body}`
 * with the base64-decoded part of a `whsec_` secret.
 */

const SECRET_PREFIX = 'whsec_';

export const secretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be "whsec_" followed by base64')
  .refine((s) => {
    const bytes = Buffer.from(s.slice(SECRET_PREFIX.length), 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'must hold 24 to 64 bytes of key material (Standard Webhooks)');

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Headers of one attempt; signed afresh each time so a late retry never carries a stale timestamp. */
export function signatureHeaders(
  secret: string,
  msgId: string,
  body: string,
  now: Date = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, msgId, timestamp, body),
  };
}

import type http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '../../src/domain/verify';

/**
 * Whether a request's Standard Webhooks signature verifies with one of `keys`: a `whsec_` secret
 * through the `standardwebhooks` package (what a customer's receiver would use), a `whpk_` public
 * key (ed25519, which that package does not know) through the project's own verifier. During a
 * rotation a request may carry the new key's signature only, or several, space-separated.
 */

const verifiers = new Map<string, Webhook>();

function webhookFor(secret: string): Webhook {
  let wh = verifiers.get(secret);
  if (!wh) verifiers.set(secret, (wh = new Webhook(secret)));
  return wh;
}

/** The first key's failure, for a person reading it (scripts/receiver.ts); undefined when one verifies. */
export function signatureError(keys: string[], body: Buffer, headers: http.IncomingHttpHeaders): string | undefined {
  const given = {
    'webhook-id': String(headers['webhook-id'] ?? ''),
    'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
    'webhook-signature': String(headers['webhook-signature'] ?? ''),
  };
  let first: string | undefined;
  for (const key of keys) {
    try {
      if (key.startsWith('whpk_')) verifyWebhook({ payload: body.toString('utf8'), headers, publicKey: key });
      else webhookFor(key).verify(body, given);
      return undefined;
    } catch (err) {
      first ??= (err as Error).message;
    }
  }
  return first ?? 'no key to check it with';
}

export function signatureValid(keys: string[], body: Buffer, headers: http.IncomingHttpHeaders): boolean {
  return keys.length > 0 && signatureError(keys, body, headers) === undefined;
}

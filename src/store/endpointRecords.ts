import type { Endpoint, EndpointPatch, EndpointSettings, EndpointWithSecret } from '../domain/endpoint';

/** Endpoint record rules every store applies the same way, whatever it keeps rows in. */

export function withoutSecret({ secret: _secret, previousSecret: _p, previousSecretExpiresAt: _pe, ...endpoint }: EndpointWithSecret): Endpoint {
  return endpoint;
}

/**
 * Fields left undefined are kept, and `null` in a patch clears the field. Enabling clears the
 * reason it was disabled for; disabling by hand records that it was an operator.
 */
export function applyPatch(settings: EndpointSettings, patch: EndpointPatch): EndpointSettings {
  const next: Record<string, unknown> = { ...settings };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (patch.disabled === false) delete next.disabledReason;
  if (patch.disabled === true && !settings.disabled) next.disabledReason = 'disabled by an operator';
  return next as EndpointSettings;
}

export function settingsOf(endpoint: EndpointWithSecret): EndpointSettings {
  const { id: _id, secret: _secret, previousSecret: _p, previousSecretExpiresAt: _pe, createdAt: _c, updatedAt: _u, ...settings } = endpoint;
  return settings;
}

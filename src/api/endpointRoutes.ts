import { Router, type Response } from 'express';
import { eventTypes, exampleData, type EventType } from '../domain/catalog';
import {
  endpointCreateSchema,
  endpointPatchSchema,
  resolveRetry,
  type Endpoint,
  type EndpointSettings,
} from '../domain/endpoint';
import { z } from 'zod';
import { newId } from '../domain/ids';
import { maxConcurrencyOf } from '../domain/flow';
import { scopeProblems } from '../domain/scope';
import { DEFAULT_SIGNING_SCHEME, generateSecret, publicKeyOf, schemeOfSecret } from '../domain/signing';
import { urlProblem, type UrlPolicy } from '../domain/urlPolicy';
import { CallbackEventsError } from '../errors';
import { notFound, parseOr400 } from './errors';
import { audit, originOf } from './audit';
import { awaitTestAttempt, testWaitMs } from './endpointTest';
import { previewBodySchema, previewFor } from './endpointPreview';
import { assertTransformCompiles } from '../domain/transform';
import { scopeOf } from './tenantScope';
import { RESENDABLE_STATUSES } from '../../workflows/contract';
import type { TransformRunner } from '../transforms/pool';

/** Checks that need more than one field: url policy and sensitive-field approval. */
function assertUsable(settings: Partial<EndpointSettings>, policy: UrlPolicy): void {
  const details: { path: string; message: string }[] = [];
  for (const field of ['url', 'fallbackUrl'] as const) {
    const url = settings[field];
    const problem = url === undefined ? undefined : urlProblem(url, policy);
    if (problem) details.push({ path: field, message: problem });
  }
  for (const message of scopeProblems(settings.eventTypes ?? eventTypes, settings.payloadScope)) {
    details.push({ path: 'payloadScope.include', message });
  }
  // A batch body lists many events; one mapping per event would not make one request's body.
  if (settings.transform && settings.batch) {
    details.push({ path: 'transform', message: 'a transform cannot be used with batch; remove one of them' });
  }
  // Coalescing drops events and picks the latest by arrival: `ordering` promises every event of a
  // call in occurredAt order, which contradicts it; `batch` already folds a flurry into one request,
  // and the two waits would stack (windowMs, then maxWaitMs). Refused rather than given a meaning.
  if (settings.coalesce && settings.batch) details.push({ path: 'coalesce', message: 'cannot be combined with batch' });
  // A batch's one answer speaks for the many calls in it: no value in it belongs to one call.
  if (settings.capture && settings.batch) details.push({ path: 'capture', message: 'cannot be combined with batch' });
  if (settings.coalesce && settings.ordering === 'per_call') details.push({ path: 'coalesce', message: 'cannot be combined with ordering "per_call"' });
  if (details.length > 0) {
    throw new CallbackEventsError('invalid_request', `Invalid body: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, { details });
  }
}

/**
 * The body of `POST /v1/endpoints/:id/test`: any catalog type, operational ones included (a test
 * event never begets operational events, so testing `delivery_exhausted` cannot make another).
 */
export const testBodySchema = z.strictObject({
  type: z
    .enum(eventTypes as [EventType, ...EventType[]], {
      error: (issue) => `unknown event type ${JSON.stringify(issue.input)}; one of: ${eventTypes.join(', ')}`,
    })
    .default('endpoint_test')
    .meta({ description: 'The catalog type whose example is sent; `endpoint_test` when absent.' }),
});

/** Rotation: how long the replaced secret keeps signing beside the new one (0: stops at once). */
export const rotateBodySchema = z.strictObject({
  graceSeconds: z.number().int().min(0).max(30 * 86_400).default(86_400),
});

/** The public key of an ed25519 endpoint, beside its secret wherever the API shows one. */
const withPublicKey = <T extends { secret: string }>(body: T) =>
  schemeOfSecret(body.secret) === 'ed25519' ? { ...body, publicKey: publicKeyOf(body.secret) } : body;

export const recoverBodySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }),
  until: z.iso.datetime({ offset: true }).optional(),
  statuses: z
    .array(z.enum(RESENDABLE_STATUSES))
    .min(1)
    .default(['awaiting_review', 'expired']),
});

/** Every route reads and writes through the caller's tenant scope (tenantScope.ts), never the whole store. */
export function endpointRoutes({
  policy,
  recoverPerSecond,
  transforms,
  publicUrl,
}: {
  policy: UrlPolicy;
  recoverPerSecond: number;
  transforms: TransformRunner;
  /** Where reference URLs point; the preview shows them. */
  publicUrl: string;
}): Router {
  const router = Router();

  /** Operational events about endpoints, through the same pipeline as call events, in the endpoint's tenant. */
  const emit = (res: Response, type: 'endpoint_enabled' | 'endpoint_disabled', data: Record<string, unknown>) =>
    scopeOf(res).events.start({ event: { id: newId('evt_').replace('evt_', 'op_'), type, occurredAt: new Date().toISOString(), data } });

  const load = async (res: Response, id: string) => {
    const endpoint = await scopeOf(res).store.getEndpoint(id);
    if (!endpoint) throw notFound('Endpoint', id);
    return endpoint;
  };
  const publicView = ({
    secret: _secret,
    previousSecret: _previous,
    ...endpoint
  }: Endpoint & { secret?: string; previousSecret?: string }): Endpoint => ({ ...endpoint, signing: endpoint.signing ?? DEFAULT_SIGNING_SCHEME });

  router.post('/', async (req, res) => {
    const { id, secret, signing = DEFAULT_SIGNING_SCHEME, ...rest } = parseOr400(endpointCreateSchema, req.body);
    const settings = { ...rest, signing };
    assertUsable(settings, policy);
    assertTransformCompiles(settings.transform);
    // A taken id is the store's `conflict`, answered 409.
    const created = await scopeOf(res).store.createEndpoint({ id: id ?? newId('ep-'), secret: secret ?? generateSecret(signing), settings });
    await audit(res, 'endpoint.create', created.id, { url: originOf(created.url) });
    res.status(201).json(withPublicKey(created));
  });

  router.get('/', async (_req, res) => {
    res.json({ data: (await scopeOf(res).store.listEndpoints()).map(publicView) });
  });

  router.get('/:id', async (req, res) => {
    const endpoint = await load(res, req.params.id);
    // Flow control as it stands: the effective (AIMD) concurrency, the rate limit, and how many
    // deliveries wait for a slot (the store's waiters), plus how many requests are in flight.
    const state = await scopeOf(res).store.flowState(endpoint.id, maxConcurrencyOf(endpoint));
    if (!state) throw notFound('Endpoint', endpoint.id);
    const { concurrency, queued, inFlight } = state;
    const flow = { concurrency, rate: endpoint.rateLimit?.perSecond ?? null, queued, inFlight };
    res.json({ ...publicView(endpoint), flow });
  });

  router.get('/:id/secret', async (req, res) => {
    res.json(withPublicKey({ secret: (await load(res, req.params.id)).secret }));
  });

  /** A new secret, of the endpoint's scheme; the replaced one keeps signing for `graceSeconds`. */
  router.post('/:id/secret/rotate', async (req, res) => {
    const { graceSeconds } = parseOr400(rotateBodySchema, req.body ?? {});
    const endpoint = await load(res, req.params.id);
    const scheme = schemeOfSecret(endpoint.secret) ?? DEFAULT_SIGNING_SCHEME;
    const rotated = await scopeOf(res).store.rotateSecret(endpoint.id, { secret: generateSecret(scheme), graceMs: graceSeconds * 1000 });
    if (!rotated) throw notFound('Endpoint', endpoint.id);
    await audit(res, 'endpoint.secret.rotate', endpoint.id, { graceSeconds });
    res.json(withPublicKey(rotated));
  });

  /** `{ publicKey: "whpk_…" }` of an ed25519 endpoint (and the previous one, while it still signs). */
  router.get('/:id/public-key', async (req, res) => {
    const endpoint = await load(res, req.params.id);
    if (schemeOfSecret(endpoint.secret) !== 'ed25519') {
      throw new CallbackEventsError(
        'no_public_key',
        `Endpoint "${endpoint.id}" signs with hmac-sha256, a shared secret (GET /v1/endpoints/${endpoint.id}/secret); only endpoints created with "signing": "ed25519" have a public key.`,
      );
    }
    const previous =
      endpoint.previousSecret && schemeOfSecret(endpoint.previousSecret) === 'ed25519'
        ? { previousPublicKey: publicKeyOf(endpoint.previousSecret), previousPublicKeyExpiresAt: endpoint.previousSecretExpiresAt }
        : {};
    res.json({ publicKey: publicKeyOf(endpoint.secret), ...previous });
  });

  router.patch('/:id', async (req, res) => {
    const patch = parseOr400(endpointPatchSchema, req.body);
    const current = publicView(await load(res, req.params.id));
    const merged: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else if (value !== undefined) merged[key] = value;
    }
    assertUsable(merged as EndpointSettings, policy);
    assertTransformCompiles(patch.transform ?? undefined);
    const { store, jobs } = scopeOf(res);
    const updated = await store.updateEndpoint(req.params.id, patch);
    if (!updated) throw notFound('Endpoint', req.params.id);
    const now = new Date().toISOString();
    if (current.disabled && !updated.disabled) {
      // Held deliveries wait for this: release them all, as a job that survives restarts.
      await jobs.start({ kind: 'release', endpointId: updated.id, statuses: ['held'], perSecond: recoverPerSecond });
      await emit(res, 'endpoint_enabled', { endpointId: updated.id, enabledAt: now });
    } else if (!current.disabled && updated.disabled) {
      await emit(res, 'endpoint_disabled', { endpointId: updated.id, reason: updated.disabledReason ?? 'disabled by an operator', disabledAt: now });
    }
    // Which fields changed, never their values (auth and headers may hold credentials).
    await audit(res, 'endpoint.update', updated.id, { fields: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined) });
    res.json(updated);
  });

  router.delete('/:id', async (req, res) => {
    const { store, jobs } = scopeOf(res);
    if (!(await store.deleteEndpoint(req.params.id))) throw notFound('Endpoint', req.params.id);
    // Held deliveries are not dropped silently: they end as discarded, with the reason.
    await jobs.start({
      kind: 'discard_held',
      endpointId: req.params.id,
      statuses: ['held'],
      perSecond: recoverPerSecond,
      reason: 'the endpoint was deleted',
    });
    await audit(res, 'endpoint.delete', req.params.id);
    res.status(204).end();
  });

  /** Resends every matching delivery of the endpoint in a time window, as a rate-bounded job. */
  router.post('/:id/recover', async (req, res) => {
    const body = parseOr400(recoverBodySchema, req.body ?? {});
    const endpoint = await load(res, req.params.id);
    const jobId = await scopeOf(res).jobs.start({
      kind: 'recover',
      endpointId: endpoint.id,
      statuses: body.statuses,
      since: body.since,
      until: body.until,
      perSecond: recoverPerSecond,
    });
    await audit(res, 'endpoint.recover', endpoint.id, { jobId, since: body.since, until: body.until, statuses: body.statuses });
    res.status(202).json({ jobId });
  });

  /** What the endpoint would receive for an event (scope, transform, headers); nothing is sent or stored. */
  router.post('/:id/preview', async (req, res) => {
    const body = parseOr400(previewBodySchema, req.body ?? {});
    res.json(await previewFor(scopeOf(res).store, await load(res, req.params.id), body, transforms, publicUrl));
  });

  /**
   * One signed delivery of a sample (`endpoint_test`, or the catalog example of `type`), marked
   * `test: true`, attempted once; answers with that attempt's outcome. It runs the normal delivery
   * path (scope, transform, signing), so it shows what real events will look like.
   */
  router.post('/:id/test', async (req, res) => {
    // No body at all is the plain endpoint_test (express leaves req.body undefined then).
    const { type } = parseOr400(testBodySchema, req.body ?? {});
    const endpoint = await load(res, req.params.id);
    if (endpoint.disabled) throw new CallbackEventsError('endpoint_disabled', `Endpoint "${endpoint.id}" is disabled; enable it to test it.`);
    const event = {
      id: newId('evt_'),
      type,
      occurredAt: new Date().toISOString(),
      data: exampleData(type),
      test: true as const,
    };
    const { events } = scopeOf(res);
    await events.start({ event, probe: { endpointId: endpoint.id } });
    const outcome = await awaitTestAttempt(events, event.id, testWaitMs(resolveRetry(endpoint.retry).attemptTimeoutMs));
    if (!outcome.settled) {
      // Still waiting (e.g. for a slot under the endpoint's rate limit): where to follow it.
      res.status(202).json({
        eventId: event.id,
        delivered: false,
        status: outcome.status,
        error: `no outcome yet (${outcome.status ?? 'pending'}); follow it at GET /v1/events/${event.id}`,
      });
      return;
    }
    const delivery = outcome.delivery;
    res.json({
      eventId: event.id,
      delivered: delivery?.status === 'delivered',
      statusCode: delivery?.lastStatusCode,
      error: delivery?.lastError,
    });
  });

  return router;
}

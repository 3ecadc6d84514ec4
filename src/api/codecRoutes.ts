import express, { Router, type RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { ApiKey } from '../config';
import { authenticate, requireRole } from './auth';
import type { Sessions } from './sessionCookie';
import { CallbackEventsError, hasCode } from '../errors';
import { parseOr400 } from './errors';

/**
 * The codec server the Temporal Web UI (and `temporal --codec-endpoint`) calls to show
 * decoded payloads to an operator: `POST /codec/decode` and `POST /codec/encode`, each taking
 * and answering `{ "payloads": [{ "metadata": { key: base64 }, "data": base64 }] }`, the
 * proto-JSON form the UI sends. It needs an `admin` key when API keys are configured.
 *
 * The UI runs in the operator's browser on another origin, so CORS is answered here, preflight
 * included (a preflight carries no credentials, so it is answered before authentication).
 */

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Browser origins allowed to call (the Web UI's); unset: any origin (a key is still required when keys are configured). */
  origins?: string[];
}

const ALLOWED_HEADERS = 'X-Namespace, Content-Type, Authorization';
const MAX_BODY = '8mb';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
export const codecBodySchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});

type JsonPayload = { metadata: Record<string, string>; data?: string };

function fromJson(p: z.infer<typeof codecBodySchema>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: p.data == null ? undefined : new Uint8Array(Buffer.from(p.data, 'base64')),
  };
}

function toJson(p: Payload): JsonPayload {
  const out: JsonPayload = {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  };
  if (p.data) out.data = Buffer.from(p.data).toString('base64');
  return out;
}

function cors(origins?: string[]): RequestHandler {
  const allowed = origins ? new Set(origins) : undefined;
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin && (!allowed || allowed.has(origin))) {
      res.set({
        'access-control-allow-origin': origin,
        // The UI may send its requests with credentials ("include cross-origin credentials").
        'access-control-allow-credentials': 'true',
      });
    }
    if (req.method === 'OPTIONS') {
      res.set({
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      res.status(204).end();
      return;
    }
    next();
  };
}

export function codecRoutes({ codec, origins, apiKeys, sessions }: CodecServerOptions & { apiKeys: ApiKey[]; sessions?: Sessions }): Router {
  const router = Router();
  router.use(cors(origins));
  // The service's keys, as a bearer or as the login cookie (the UI under /ui sends it, same-origin).
  router.use(authenticate(apiKeys, undefined, sessions));
  router.use(requireRole('admin'));
  router.use(express.json({ limit: MAX_BODY, strict: true, type: () => true }));

  const route = (op: 'encode' | 'decode'): RequestHandler =>
    async (req, res) => {
      const { payloads } = parseOr400(codecBodySchema, req.body);
      let result: Payload[];
      try {
        result = await codec[op](payloads.map(fromJson));
      } catch (err) {
        // Same code; the message says which way the payload failed.
        if (hasCode(err, 'undecodable')) {
          throw new CallbackEventsError('undecodable', `A payload could not be ${op}d: ${err.message}`, { cause: err });
        }
        throw err;
      }
      res.json({ payloads: result.map(toJson) });
    };
  router.post('/encode', route('encode'));
  router.post('/decode', route('decode'));
  return router;
}

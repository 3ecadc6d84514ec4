import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

/** Bearer-key check for `/v1`; keys are compared as SHA-256 digests in constant time. */
export function requireApiKey(keys: string[]): RequestHandler {
  const digests = keys.map((k) => createHash('sha256').update(k).digest());
  return (req, _res, next) => {
    if (digests.length === 0) return next();
    const header = req.get('authorization') ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (!match) return next(new ApiError(401, 'unauthorized', 'Send the API key as "Authorization: Bearer <key>".'));
    const given = createHash('sha256').update(match[1].trim()).digest();
    // Compare against every key so timing does not reveal which one matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) return next(new ApiError(401, 'unauthorized', 'The API key is not valid.'));
    next();
  };
}

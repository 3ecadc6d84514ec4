import { parse } from 'cookie';
import type { Request, Response } from 'express';
import type { SessionSeal } from '../crypto/sessionSeal';

/**
 * The login session's cookie (POST /v1/session sets it; src/api/auth.ts reads it) and the rule
 * that keeps it from being used by other pages: a request it authenticates that may change
 * something must come from the API's own origin. SameSite=Strict alone does not do that: every
 * port of a host is the same site, so a page on localhost:8000 would send it to localhost:3000.
 */

export const SESSION_COOKIE = 'callbacks_session';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

export interface Sessions {
  seal: SessionSeal;
  /** Where the API is public (CALLBACKS_PUBLIC_URL), when a proxy in front changes the Host it sees. */
  publicOrigin?: string;
}

/** The sealed value the request carries, if any. */
export function sessionCookieOf(req: Request): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  // Kept as sent: the sealed form is cookie-safe, and a percent-sign in it is tampering.
  return parse(header, { decode: (v) => v })[SESSION_COOKIE] || undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a cookie may authenticate this request: a safe method, or one the API's own pages sent. */
export function cookieMayAct(req: Request, publicOrigin?: string): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  return fromOwnOrigin(req, publicOrigin);
}

/** `Origin` names this API (as the request reached it, or its public URL); without one, Sec-Fetch-Site says same-origin. */
export function fromOwnOrigin(req: Request, publicOrigin?: string): boolean {
  const origin = req.get('origin');
  if (origin === undefined) return req.get('sec-fetch-site') === 'same-origin';
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return false; // "null" (a sandboxed frame, a file) or garbage
  }
  if (host === (req.get('host') ?? '').toLowerCase()) return true;
  return publicOrigin !== undefined && new URL(publicOrigin).origin === new URL(origin).origin;
}

/** `Secure` when the browser spoke https: to this server, or to a proxy in front that says so. */
function options(req: Request) {
  const https = req.secure || req.get('x-forwarded-proto')?.split(',')[0].trim() === 'https';
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: https } as const;
}

export function setSessionCookie(req: Request, res: Response, sealed: string): void {
  res.cookie(SESSION_COOKIE, sealed, { ...options(req), maxAge: SESSION_TTL_SECONDS * 1000, encode: (v: string) => v });
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { ...options(req), encode: (v: string) => v });
}

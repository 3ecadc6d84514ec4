import { hostNameProblem, urlShapeProblem, type OutboundPolicy } from '../http/outboundGuard';

/**
 * Where endpoints may point, checked when a url is created, updated or given for a resend. It is
 * what the url says (scheme, credentials, a literal IP, localhost names); names are judged again by
 * what they resolve to at every attempt, by the outbound guard (src/http/outboundGuard.ts).
 */

export interface UrlPolicy extends OutboundPolicy {
  allowHttp: boolean;
  allowPrivateTargets: boolean;
  /** Ranges opened to delivery even though they are not public (CALLBACKS_ALLOWED_CIDRS). */
  allowedCidrs?: string[];
}

/** Why `url` may not be a delivery target, or undefined when it may. */
export function urlProblem(url: string, policy: UrlPolicy): string | undefined {
  return urlShapeProblem(url, policy) ?? hostNameProblem(new URL(url).hostname, policy);
}

import net from 'node:net';

/**
 * Where endpoints may point. This first line of defence refuses plain http and literal
 * loopback, private and link-local targets unless development settings open them.
 */

export interface UrlPolicy {
  allowHttp: boolean;
  allowPrivateTargets: boolean;
}

const privateRanges = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  privateRanges.addSubnet(prefix, bits, 'ipv4');
}
// No ::ffff:0:0/96 here: BlockList already checks IPv4-mapped addresses against the IPv4 ranges,
// and that subnet would also match every IPv4 address, refusing all public IPv4 targets.
for (const [prefix, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  privateRanges.addSubnet(prefix, bits, 'ipv6');
}

function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = net.isIP(host);
  if (family === 0) return false;
  return privateRanges.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why `url` may not be a delivery target, or undefined when it may. */
export function urlProblem(url: string, policy: UrlPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid url';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must use http or https';
  if (parsed.protocol === 'http:' && !policy.allowHttp) {
    return 'must use https (plain http needs CALLBACKS_ALLOW_HTTP=true)';
  }
  if (parsed.username || parsed.password) return 'must not carry credentials; use the endpoint auth setting';
  if (!policy.allowPrivateTargets && isPrivateHost(parsed.hostname)) {
    return 'points at a loopback, private or link-local address (allowed only with CALLBACKS_ALLOW_PRIVATE_TARGETS=true)';
  }
  return undefined;
}

import dns from 'node:dns';
import net from 'node:net';
import { CallbackEventsError, hasCode } from '../errors';

/**
 * The outbound guard: where webhook attempts may connect. Endpoint, fallback and resend urls come
 * from API callers, so without it the service is a proxy into its own network (cloud metadata at
 * 169.254.169.254, databases on 10/8, admin ports on loopback).
 *
 * - A literal IP in a url is judged as it stands. WHATWG `new URL()` already turns 2130706433,
 *   0177.0.0.1, 0x7f.1 and 127.1 into 127.0.0.1 for http(s), so urls are always judged by their
 *   parsed `hostname`; `canonicalHost` applies the same parser to hosts that did not come
 *   through `new URL`.
 * - IPv6 addresses that carry an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4) are judged
 *   by the IPv4 address they carry, so a wrapper cannot launder 127.0.0.1.
 * - A name is judged by every address it resolves to, in `guardedLookup`, which the HTTP agent
 *   uses to connect: the addresses checked are the addresses connected to, so there is no window
 *   for DNS rebinding between check and connect.
 *
 * The ranges are compared as bytes here rather than with net.BlockList, whose rules match across
 * families (an IPv6 rule covering ::ffff:0:0/96 matches every IPv4 address).
 */

export interface OutboundPolicy {
  allowHttp: boolean;
  /** Development and tests: no address is refused. */
  allowPrivateTargets: boolean;
  /** Ranges opened even though they are not public (production alternative to allowPrivateTargets). */
  allowedCidrs?: string[];
}

/** `guardedLookup` refuses a target with this; the webhook client reports it as the attempt failure `blocked`. */
export function blockedTarget(message: string): CallbackEventsError {
  return new CallbackEventsError('outbound_blocked', message);
}

interface Ip {
  family: 4 | 6;
  bytes: number[];
}

interface Range extends Ip {
  bits: number;
  label: string;
}

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6Bytes(text: string): number[] {
  let s = text;
  // A trailing dotted quad (::ffff:127.0.0.1) is the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = ipv4Bytes(dotted[1]);
    s = `${s.slice(0, -dotted[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = s.split('::');
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** An IP address as bytes; brackets and an IPv6 zone (`%eth0`) are ignored. Undefined for a name. */
export function parseIp(text: string): Ip | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  const unzoned = bare.includes(':') ? bare.replace(/%.*$/, '') : bare;
  const family = net.isIP(unzoned);
  if (family === 4) return { family, bytes: ipv4Bytes(unzoned) };
  if (family === 6) return { family, bytes: ipv6Bytes(unzoned) };
  return undefined;
}

function parseRange(cidr: string, label = cidr): Range {
  const [address, bits] = cidr.split('/');
  const ip = parseIp(address);
  const n = Number(bits);
  if (!ip || !Number.isInteger(n) || n < 0 || n > ip.bytes.length * 8) throw new CallbackEventsError('invalid_config', `not a CIDR range: ${cidr}`);
  return { ...ip, bits: n, label };
}

function inRange(ip: Ip, range: Range): boolean {
  if (ip.family !== range.family) return false;
  for (let bit = 0; bit < range.bits; bit += 8) {
    const take = Math.min(8, range.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((ip.bytes[bit / 8] & mask) !== (range.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

const ranges = (list: Array<[string, string]>) => list.map(([cidr, what]) => parseRange(cidr, `in ${cidr} (${what})`));

/** IPv4 ranges that are never a webhook receiver (IANA special-purpose registry, RFC 6890). */
const REFUSED_V4 = ranges([
  ['0.0.0.0/8', '"this network", unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared address space (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

/** IPv6 forms that carry an IPv4 address, and where it sits. */
const WRAPPERS: Array<{ range: Range; at: number }> = [
  { range: parseRange('::ffff:0:0/96', 'IPv4-mapped'), at: 12 },
  { range: parseRange('::ffff:0:0:0/96', 'IPv4-translated'), at: 12 },
  { range: parseRange('64:ff9b::/96', 'NAT64'), at: 12 },
  { range: parseRange('2002::/16', '6to4'), at: 2 },
];

/** IPv6 ranges refused outright; anything else outside global unicast (2000::/3) is refused too. */
const REFUSED_V6 = ranges([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001::/23', 'IETF protocol assignments (Teredo, benchmarking)'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
]);
const GLOBAL_UNICAST = parseRange('2000::/3');

/** What makes an address non-public, and the IPv4 address inside a wrapper; undefined when public. */
function refusal(ip: Ip): { label: string; inner?: Ip } | undefined {
  if (ip.family === 4) {
    const range = REFUSED_V4.find((r) => inRange(ip, r));
    return range && { label: range.label };
  }
  const wrapper = WRAPPERS.find((w) => inRange(ip, w.range));
  if (wrapper) {
    const inner: Ip = { family: 4, bytes: ip.bytes.slice(wrapper.at, wrapper.at + 4) };
    const why = refusal(inner);
    return why && { label: `${inner.bytes.join('.')} in ${wrapper.range.label} form, which is ${why.label}`, inner };
  }
  const range = REFUSED_V6.find((r) => inRange(ip, r));
  if (range) return { label: range.label };
  if (!inRange(ip, GLOBAL_UNICAST)) return { label: 'outside IPv6 global unicast (2000::/3)' };
  return undefined;
}

const parsedCidrs = new WeakMap<string[], Range[]>();
/** The policy's allowedCidrs, parsed once per list; throws on a malformed range. */
function openedRanges(policy: OutboundPolicy): Range[] {
  const cidrs = policy.allowedCidrs ?? [];
  let opened = parsedCidrs.get(cidrs);
  if (!opened) {
    opened = cidrs.map((c) => parseRange(c));
    parsedCidrs.set(cidrs, opened);
  }
  return opened;
}

/** Why connecting to `address` is refused under `policy`, or undefined when it is allowed. */
export function addressProblem(address: string, policy: OutboundPolicy): string | undefined {
  if (policy.allowPrivateTargets) return undefined;
  const ip = parseIp(address);
  if (!ip) return `${address} is not an IP address`;
  const why = refusal(ip);
  if (!why) return undefined;
  const opened = openedRanges(policy);
  if (opened.some((r) => inRange(ip, r) || (why.inner !== undefined && inRange(why.inner, r)))) return undefined;
  return `${address.replace(/^\[|\]$/g, '')} is ${why.label}`;
}

/**
 * A host as WHATWG's parser writes it: lower case, IPv4 in dotted decimal (2130706433, 0x7f.1,
 * 0177.0.0.1 and 127.1 are all 127.0.0.1), IPv6 compressed, no brackets, no trailing dot.
 * For hosts that reach the guard without going through `new URL`.
 */
export function canonicalHost(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (/[/\\@?#\s]/.test(bare)) return bare.toLowerCase();
  try {
    const hostname = new URL(`http://${net.isIPv6(bare) ? `[${bare}]` : bare}/`).hostname;
    return hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  } catch {
    return bare.toLowerCase();
  }
}

const NOT_PUBLIC = 'points at a loopback, private or link-local address, or another non-public one';
const HOW_TO_OPEN = 'allowed only with CALLBACKS_ALLOW_PRIVATE_TARGETS=true or a range in CALLBACKS_ALLOWED_CIDRS';

/**
 * Why `url` may not be a target, from what the url itself says: scheme, credentials, plain http
 * and a literal IP. A name is not judged here: see `guardedLookup` and `checkUrl`.
 */
export function urlShapeProblem(url: string, policy: OutboundPolicy): string | undefined {
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
  // `hostname` is already normalised by the WHATWG parser (see canonicalHost).
  if (parseIp(parsed.hostname)) {
    const problem = addressProblem(parsed.hostname, policy);
    if (problem) return `${NOT_PUBLIC}: ${problem}; ${HOW_TO_OPEN}`;
  }
  return undefined;
}

/** `localhost` and `*.localhost` are loopback by definition (RFC 6761), whatever DNS says. */
export function hostNameProblem(hostname: string, policy: OutboundPolicy): string | undefined {
  const host = canonicalHost(hostname);
  if (host !== 'localhost' && !host.endsWith('.localhost')) return undefined;
  const problem = addressProblem('127.0.0.1', policy) ?? addressProblem('::1', policy);
  return problem && `${NOT_PUBLIC}: ${host} is a loopback name; ${HOW_TO_OPEN}`;
}

/**
 * A `lookup` for net/tls.connect (undici: `new Agent({ connect: { lookup } })`): resolves the name,
 * refuses it when any address it resolves to is refused, and hands back exactly the addresses it
 * checked, which are the ones the socket connects to.
 */
export function guardedLookup(policy: OutboundPolicy): net.LookupFunction {
  openedRanges(policy); // a malformed range fails here, when the client is built, not mid-attempt
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      // One bad address refuses the name: a name that mixes public and internal addresses is
      // either misconfigured or an attack, and which address gets used is not ours to pick.
      for (const { address } of addresses) {
        const problem = addressProblem(address, policy);
        if (problem) return callback(blockedTarget(`${hostname} resolves to ${problem}`), '');
      }
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Every check the guard makes on a url, name resolution included; undefined when it may be a target. */
export async function checkUrl(url: string, policy: OutboundPolicy): Promise<string | undefined> {
  const shape = urlShapeProblem(url, policy);
  if (shape) return shape;
  const { hostname } = new URL(url);
  if (parseIp(hostname)) return undefined;
  const name = hostNameProblem(hostname, policy);
  if (name) return name;
  const lookup = guardedLookup(policy);
  return new Promise((resolve) => {
    lookup(hostname, { all: true }, (err) => {
      if (!err) return resolve(undefined);
      resolve(hasCode(err, 'outbound_blocked') ? `${NOT_PUBLIC}: ${err.message}; ${HOW_TO_OPEN}` : `does not resolve (${err.code ?? err.message})`);
    });
  });
}

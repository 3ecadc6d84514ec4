import assert from 'node:assert/strict';
import type dns from 'node:dns';
import {
  addressProblem,
  canonicalHost,
  checkUrl,
  guardedLookup,
  type OutboundPolicy,
} from '../../src/http/outboundGuard';
import { createWebhookClient, type WebhookClient } from '../../src/http/webhookClient';
import { urlProblem } from '../../src/domain/urlPolicy';
import { CallbackEventsError, hasCode } from '../../src/errors';

const strict: OutboundPolicy = { allowHttp: false, allowPrivateTargets: false };
const open: OutboundPolicy = { allowHttp: true, allowPrivateTargets: true };

const NOT_PUBLIC = /loopback, private or link-local address, or another non-public one/;

/** Literal addresses that are never a receiver, in the spellings an attacker would try. */
const hostileAddresses = [
  // loopback: decimal, octal, hex, short forms, trailing dot, percent-encoded, full-width digits
  'https://127.0.0.1/',
  'https://127.8.9.10/',
  'https://2130706433/',
  'https://0177.0.0.1/',
  'https://017700000001/',
  'https://0x7f.1/',
  'https://0x7f000001/',
  'https://127.1/',
  'https://127.000.000.001/',
  'https://127.0.0.1./',
  'https://%31%32%37.0.0.1/',
  'https://\uff11\uff12\uff17.0.0.1/',
  // 10/8, 172.16/12, 192.168/16
  'https://10.0.0.1/',
  'https://167772161/',
  'https://012.1/',
  'https://172.16.0.1/',
  'https://172.31.255.255/',
  'https://0xac.0x10.0.1/',
  'https://2886729729/',
  'https://192.168.1.1/',
  'https://0xc0a80001/',
  'https://0300.0250.0.1/',
  'https://192.168.1/',
  // cloud metadata
  'https://169.254.169.254/',
  'https://2852039166/',
  'https://0xa9fea9fe/',
  'https://0251.0376.0251.0376/',
  'https://169.254.43518/',
  // CGNAT, unspecified, broadcast, multicast, reserved
  'https://100.64.0.1/',
  'https://100.127.255.255/',
  'https://0.0.0.0/',
  'https://0/',
  'https://255.255.255.255/',
  'https://4294967295/',
  'https://224.0.0.1/',
  'https://239.255.255.250/',
  'https://192.0.0.1/',
  'https://198.18.0.1/',
  'https://240.0.0.1/',
  'https://192.0.2.1/',
  // IPv6
  'https://[::1]/',
  'https://[0:0:0:0:0:0:0:1]/',
  'https://[::]/',
  'https://[fc00::1]/',
  'https://[fd12:3456::1]/',
  'https://[fe80::1]/',
  'https://[fec0::1]/',
  'https://[ff02::1]/',
  'https://[100::1]/',
  'https://[2001::1]/', // Teredo
  'https://[2001:db8::1]/',
  // IPv4 inside IPv6: mapped, compatible, NAT64, 6to4
  'https://[::ffff:127.0.0.1]/',
  'https://[::ffff:7f00:1]/',
  'https://[::ffff:169.254.169.254]/',
  'https://[::ffff:a00:1]/',
  'https://[::127.0.0.1]/',
  'https://[::7f00:1]/',
  'https://[::8.8.8.8]/', // IPv4-compatible is deprecated whatever it carries
  'https://[64:ff9b::7f00:1]/',
  'https://[64:ff9b::a9fe:a9fe]/',
  'https://[64:ff9b::10.0.0.1]/',
  'https://[64:ff9b:1::a00:1]/', // local-use NAT64
  'https://[2002:7f00:1::]/',
  'https://[2002:a9fe:a9fe::1]/',
  'https://[2002:c0a8:101::1]/',
];

/** Names that are loopback by definition. */
const hostileNames = ['https://localhost/', 'https://LOCALHOST./', 'https://foo.localhost/', 'https://a.b.localhost:8443/x'];

/** What the url's shape gives away, whatever the host. */
const hostileShapes: Array<[string, RegExp]> = [
  ['http://example.com/', /must use https/],
  ['http://8.8.8.8/', /must use https/],
  ['https://user:pw@example.com/', /credentials/],
  ['https://user@8.8.8.8/', /credentials/],
  ['ftp://example.com/', /http or https/],
  ['gopher://127.0.0.1:25/', /http or https/],
  ['file:///etc/passwd', /http or https/],
  ['not a url', /not a valid url/],
];

const publicLiterals = [
  'https://8.8.8.8/',
  'https://134744072/', // 8.8.8.8 as one number
  'https://172.32.0.1/', // just past 172.16/12
  'https://100.128.0.1/', // just past 100.64/10
  'https://11.0.0.1/',
  'https://[2606:4700:4700::1111]/',
  'https://[::ffff:8.8.8.8]/', // a mapped public address is the public address
  'https://[64:ff9b::808:808]/', // NAT64 of a public address (DNS64 networks)
  'https://[2002:808:808::1]/',
];

describe('outbound guard', () => {
  it('has at least 30 hostile urls in its table', () => {
    assert.ok(hostileAddresses.length + hostileNames.length + hostileShapes.length >= 30);
  });

  describe('WHATWG parsing does the IPv4 normalisation', () => {
    for (const [input, expected] of [
      ['https://2130706433/', '127.0.0.1'],
      ['https://0177.0.0.1/', '127.0.0.1'],
      ['https://0x7f.1/', '127.0.0.1'],
      ['https://127.1/', '127.0.0.1'],
      ['https://0251.0376.0251.0376/', '169.254.169.254'],
      ['https://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
      // Left as it is: the guard strips the trailing dot of names itself.
      ['https://localhost./', 'localhost.'],
    ]) {
      it(`${input} has hostname ${expected}`, () => assert.equal(new URL(input).hostname, expected));
    }

    it('canonicalHost applies it to hosts that did not come through new URL', () => {
      assert.equal(canonicalHost('0x7f.1'), '127.0.0.1');
      assert.equal(canonicalHost('2130706433'), '127.0.0.1');
      assert.equal(canonicalHost('0177.0.0.1'), '127.0.0.1');
      assert.equal(canonicalHost('[::FFFF:127.0.0.1]'), '::ffff:7f00:1');
      assert.equal(canonicalHost('LOCALHOST.'), 'localhost');
      assert.equal(canonicalHost('Hooks.Example.com'), 'hooks.example.com');
    });
  });

  describe('a strict policy refuses', () => {
    for (const url of hostileAddresses) {
      it(`${url} at creation and in checkUrl`, async () => {
        assert.match(urlProblem(url, strict) ?? '', NOT_PUBLIC);
        assert.match((await checkUrl(url, strict)) ?? '', NOT_PUBLIC);
      });
    }
    for (const url of hostileNames) {
      it(`the loopback name ${url}`, async () => {
        assert.match(urlProblem(url, strict) ?? '', /is a loopback name/);
        assert.match((await checkUrl(url, strict)) ?? '', /is a loopback name/);
      });
    }
    for (const [url, why] of hostileShapes) {
      it(`${url}`, async () => {
        assert.match(urlProblem(url, strict) ?? '', why);
        assert.match((await checkUrl(url, strict)) ?? '', why);
      });
    }
    it('lets plain http to a public address through once allowHttp is on', () => {
      assert.equal(urlProblem('http://8.8.8.8/', { ...strict, allowHttp: true }), undefined);
    });
    it('names the range and the wrapper in its reasons', () => {
      assert.equal(addressProblem('127.0.0.1', strict), '127.0.0.1 is in 127.0.0.0/8 (loopback)');
      assert.match(addressProblem('::ffff:7f00:1', strict) ?? '', /127\.0\.0\.1 in IPv4-mapped form, which is in 127\.0\.0\.0\/8/);
      assert.match(addressProblem('64:ff9b::a9fe:a9fe', strict) ?? '', /169\.254\.169\.254 in NAT64 form/);
      assert.match(addressProblem('2002:7f00:1::', strict) ?? '', /127\.0\.0\.1 in 6to4 form/);
      assert.match(addressProblem('fe80::1%eth0', strict) ?? '', /fe80::\/10/);
      assert.match(addressProblem('::8.8.8.8', strict) ?? '', /IPv4-compatible/);
      assert.match(addressProblem('4000::1', strict) ?? '', /global unicast/);
      assert.match(addressProblem('not-an-ip', strict) ?? '', /not an IP address/);
    });
  });

  describe('a strict policy allows public targets', () => {
    for (const url of publicLiterals) {
      it(url, async () => {
        assert.equal(urlProblem(url, strict), undefined);
        assert.equal(await checkUrl(url, strict), undefined);
      });
    }
    for (const url of ['https://example.com/hook', 'https://localhost.example.com/x', 'https://hooks.example.com:8443/a?b=c']) {
      it(`${url} at creation (names are judged again at every attempt)`, () => assert.equal(urlProblem(url, strict), undefined));
    }
  });

  describe('allowPrivateTargets', () => {
    for (const url of [...hostileAddresses, ...hostileNames]) {
      it(`opens ${url}`, () => assert.equal(urlProblem(url, open), undefined));
    }
    it('still refuses credentials and other schemes', () => {
      assert.match(urlProblem('https://user:pw@127.0.0.1/', open) ?? '', /credentials/);
      assert.match(urlProblem('gopher://127.0.0.1/', open) ?? '', /http or https/);
    });
    it('opens a name that resolves to loopback', async () => {
      assert.equal(await checkUrl('http://localhost:1/x', open), undefined);
    });
  });

  describe('allowedCidrs', () => {
    const policy: OutboundPolicy = { ...strict, allowedCidrs: ['10.1.0.0/16', 'fd00:1::/32'] };
    for (const url of ['https://10.1.2.3/', 'https://10.1.255.255/', 'https://[::ffff:10.1.2.3]/', 'https://[64:ff9b::a01:203]/', 'https://[fd00:1::5]/']) {
      it(`opens ${url}`, () => assert.equal(urlProblem(url, policy), undefined));
    }
    for (const url of ['https://10.2.0.1/', 'https://10.0.255.255/', 'https://127.0.0.1/', 'https://[fd00:2::5]/', 'https://169.254.169.254/']) {
      it(`keeps ${url} refused`, () => assert.match(urlProblem(url, policy) ?? '', NOT_PUBLIC));
    }
    it('opens localhost only when both loopback addresses are opened', async () => {
      assert.match(urlProblem('https://localhost/', { ...strict, allowedCidrs: ['127.0.0.0/8'] }) ?? '', /loopback name/);
      const both = { ...strict, allowedCidrs: ['127.0.0.0/8', '::1/128'] };
      assert.equal(urlProblem('https://localhost/', both), undefined);
      assert.equal(await checkUrl('https://localhost:1/', both), undefined);
    });
    it('refuses a malformed range when the client is built', () => {
      assert.throws(() => createWebhookClient({ policy: { ...strict, allowedCidrs: ['10.0.0.0/33'] } }), /not a CIDR range/);
      assert.throws(() => guardedLookup({ ...strict, allowedCidrs: ['example.com/8'] }), /not a CIDR range/);
    });
    it('does not open plain http', () => {
      assert.match(urlProblem('http://10.1.2.3/', policy) ?? '', /must use https/);
    });
  });

  describe('guardedLookup (real resolution)', () => {
    const lookup = (policy: OutboundPolicy, host: string, options: dns.LookupOptions) =>
      new Promise<{ err: NodeJS.ErrnoException | null; address: string | dns.LookupAddress[]; family?: number }>((resolve) =>
        guardedLookup(policy)(host, options, (err, address, family) => resolve({ err, address, family })),
      );

    it('refuses localhost, which resolves to loopback', async () => {
      for (const options of [{ all: true }, {}]) {
        const { err } = await lookup(strict, 'localhost', options);
        assert.ok(err instanceof CallbackEventsError, String(err));
        assert.equal(err.code, 'outbound_blocked');
        assert.match(err.message, /^localhost resolves to (127\.\d+\.\d+\.\d+|::1) is in (127\.0\.0\.0\/8|::1\/128) \(loopback\)$/);
      }
    });

    it('refuses a numeric spelling of loopback handed to it as a name', async () => {
      const { err } = await lookup(strict, '0x7f.1', { all: true });
      assert.ok(hasCode(err, 'outbound_blocked'), String(err));
    });

    it('hands back a public literal as it is, in both answer shapes', async () => {
      const all = await lookup(strict, '8.8.8.8', { all: true });
      assert.equal(all.err, null);
      assert.deepEqual(all.address, [{ address: '8.8.8.8', family: 4 }]);
      const one = await lookup(strict, '2606:4700:4700::1111', {});
      assert.equal(one.err, null);
      assert.equal(one.address, '2606:4700:4700::1111');
      assert.equal(one.family, 6);
    });

    it('passes localhost when the policy opens it', async () => {
      const { err, address } = await lookup(open, 'localhost', { all: true });
      assert.equal(err, null);
      assert.ok(Array.isArray(address) && address.length > 0);
    });

    it('reports a name that does not resolve as a DNS error, not as blocked', async () => {
      const { err } = await lookup(strict, 'nonexistent.invalid', { all: true });
      assert.ok(err);
      assert.ok(!hasCode(err, 'outbound_blocked'));
      assert.equal(err.code, 'ENOTFOUND');
    });
  });

  describe('the webhook client under a strict policy', () => {
    let client: WebhookClient;
    before(() => {
      client = createWebhookClient({ policy: { ...strict, allowHttp: true } });
    });
    after(() => client.close());
    const post = (url: string) => client.post({ url, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 2000 });

    for (const url of hostileAddresses) {
      it(`refuses ${url} before connecting: failure blocked`, async () => {
        const outcome = await post(url);
        assert.equal(outcome.ok, false);
        assert.equal(outcome.failure, 'blocked');
        assert.equal(outcome.durationMs, 0);
        assert.match(outcome.message, /^refused by the outbound guard: the url points at/);
      });
    }

    it('refuses localhost through its lookup: failure blocked', async () => {
      const outcome = await post('http://localhost:1/x');
      assert.equal(outcome.failure, 'blocked', outcome.message);
      assert.match(outcome.message, /^refused by the outbound guard: localhost resolves to/);
    });

    it('refuses credentials and plain http when http is not allowed', async () => {
      assert.equal((await post('https://user:pw@example.com/')).failure, 'blocked');
      const strictHttp = createWebhookClient({ policy: strict });
      try {
        const outcome = await strictHttp.post({ url: 'http://example.com/', headers: {}, body: '{}', timeoutMs: 2000 });
        assert.equal(outcome.failure, 'blocked');
        assert.match(outcome.message, /must use https/);
      } finally {
        await strictHttp.close();
      }
    });

    it('without a policy it is as strict as production', async () => {
      const defaulted = createWebhookClient();
      try {
        assert.equal((await defaulted.post({ url: 'http://127.0.0.1:1/', headers: {}, body: '{}', timeoutMs: 2000 })).failure, 'blocked');
        assert.equal((await defaulted.post({ url: 'https://127.0.0.1:1/', headers: {}, body: '{}', timeoutMs: 2000 })).failure, 'blocked');
      } finally {
        await defaulted.close();
      }
    });
  });
});

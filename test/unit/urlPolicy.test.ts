import assert from 'node:assert/strict';
import { urlProblem, type UrlPolicy } from '../../src/domain/urlPolicy';

const open: UrlPolicy = { allowHttp: true, allowPrivateTargets: true };
const strict: UrlPolicy = { allowHttp: false, allowPrivateTargets: false };

describe('url policy', () => {
  const publicHttps = [
    'https://example.com/hook',
    'https://hooks.example.com:8443/a/b?c=d#e',
    'https://8.8.8.8/x',
    'https://172.32.0.1/x', // just past 172.16.0.0/12
    'https://100.128.0.1/x', // just past 100.64.0.0/10
    'https://[2606:4700:4700::1111]/x',
    'https://localhost.example.com/x', // a public name that merely starts with "localhost"
  ];
  const privateTargets = [
    'https://127.0.0.1/x',
    'https://127.8.9.10/x',
    'https://localhost/x',
    'https://LOCALHOST:8443/x',
    'https://api.localhost/x',
    'https://10.1.2.3/x',
    'https://172.16.0.1/x',
    'https://172.31.255.255/x',
    'https://192.168.1.1/x',
    'https://100.64.0.1/x',
    'https://169.254.169.254/x',
    'https://0.0.0.0/x',
    'https://224.0.0.1/x',
    'https://[::1]/x',
    'https://[::]/x',
    'https://[fc00::1]/x',
    'https://[fd12:3456::1]/x',
    'https://[fe80::1]/x',
    'https://[ff02::1]/x',
    'https://[::ffff:127.0.0.1]/x', // IPv4-mapped loopback
    'https://[::ffff:10.0.0.1]/x',
    'https://2130706433/x', // 127.0.0.1 as one decimal number; URL normalises it
    'https://0x7f.1/x', // and in hex shorthand
  ];

  describe('strict (production) policy', () => {
    for (const url of publicHttps) {
      it(`allows ${url}`, () => assert.equal(urlProblem(url, strict), undefined));
    }
    for (const url of privateTargets) {
      it(`refuses ${url} as private`, () => assert.match(urlProblem(url, strict) ?? '', /loopback, private or link-local/));
    }
    it('refuses plain http, even to a public host', () => {
      assert.match(urlProblem('http://example.com/x', strict) ?? '', /must use https/);
      assert.match(urlProblem('HTTP://example.com/x', strict) ?? '', /must use https/);
    });
  });

  describe('open (development) policy', () => {
    for (const url of [...publicHttps, ...privateTargets, 'http://example.com/x', 'http://127.0.0.1:8080/hook', 'http://[::1]:3000/']) {
      it(`allows ${url}`, () => assert.equal(urlProblem(url, open), undefined));
    }
  });

  describe('under either policy', () => {
    for (const policy of [open, strict]) {
      const name = policy === open ? 'open' : 'strict';
      it(`refuses what is not a url (${name})`, () => {
        for (const url of ['not a url', '', 'example.com/hook', '//example.com/x']) {
          assert.equal(urlProblem(url, policy), 'is not a valid url', url);
        }
      });
      it(`refuses schemes other than http(s) (${name})`, () => {
        for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'ws://example.com/x', 'data:text/plain,hi']) {
          assert.equal(urlProblem(url, policy), 'must use http or https', url);
        }
      });
      it(`refuses credentials in the url (${name})`, () => {
        for (const url of ['https://user:pass@example.com/x', 'https://user@example.com/x', 'https://:pass@example.com/x']) {
          assert.match(urlProblem(url, policy) ?? '', /must not carry credentials/, url);
        }
      });
    }
  });
});

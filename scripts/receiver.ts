/**
 * A tiny webhook receiver for trying the service locally: prints each request and, given
 * the endpoint's secret (hmac-sha256) or public key (ed25519), checks its Standard Webhooks signature.
 *
 *   npm run receiver -- 4000 whsec_...
 *   npm run receiver -- 4000 whpk_...
 */
import http from 'node:http';
import { verifyWebhook } from '../src/domain/verify';

const port = Number(process.argv[2] ?? 4000);
const key = process.argv[3];
const verifier = key
  ? (body: string, headers: http.IncomingHttpHeaders) =>
      verifyWebhook({ payload: body, headers, ...(key.startsWith('whpk_') ? { publicKey: key } : { secret: key }) })
  : undefined;

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verdict = 'signature not checked (pass the secret or public key as the second argument)';
      if (verifier) {
        try {
          verifier(body, req.headers);
          verdict = 'signature valid';
        } catch (err) {
          verdict = `signature INVALID: ${(err as Error).message}`;
        }
      }
      console.log(`${new Date().toISOString()} ${req.method} ${req.url} webhook-id=${req.headers['webhook-id']} ${verdict}`);
      console.log(body);
      res.writeHead(204).end();
    });
  })
  .listen(port, '127.0.0.1', () => console.log(`receiver listening on http://127.0.0.1:${port}/`));

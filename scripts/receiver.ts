/**
 * A tiny webhook receiver for trying the service locally: prints each request and, given
 * the endpoint's secret (hmac-sha256) or public key (ed25519), checks its Standard Webhooks signature.
 * The tests' own receiver (test/helpers/receiver.ts), on a fixed port, answering 204.
 *
 *   npm run receiver -- 4000 whsec_...
 *   npm run receiver -- 4000 whpk_...
 */
import { startReceiver } from '../test/helpers/receiver';
import { signatureError } from '../test/helpers/signatureCheck';

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 4000);
  const key = process.argv[3];
  const receiver = await startReceiver({
    port,
    keep: 'counts',
    script: () => 204,
    onRequest(request, raw, req) {
      let verdict = 'signature not checked (pass the secret or public key as the second argument)';
      if (key) {
        const error = signatureError([key], raw, req.headers);
        verdict = error === undefined ? 'signature valid' : `signature INVALID: ${error}`;
      }
      console.log(`${new Date(request.at).toISOString()} ${req.method} ${req.url} webhook-id=${req.headers['webhook-id']} ${verdict}`);
      console.log(raw.toString('utf8'));
    },
  });
  console.log(`receiver listening on ${receiver.base}/`);
}

void main();

/**
 * `npm run bench:references [-- --ops N]`: what reference URLs add to a delivery and cost a fetch,
 * apart from the rest of the service: minting and verifying a token, and keeping and reading a
 * sealed link in each store (SQLite in a temporary folder, a throwaway PostgreSQL). Prints one
 * line each: the mean over N operations, one at a time.
 */
import { createReferenceTokens } from '../src/crypto/referenceTokens';
import { storePlace, STORE_KINDS } from '../test/helpers/storeKinds';

const LINK = 'https://recordings.example/2026/11/call-8f3a.wav?X-Amz-Signature=0123456789abcdef';

async function perOp(n: number, op: (i: number) => unknown): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  return ((performance.now() - started) * 1000) / n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ops = Number(args[args.indexOf('--ops') + 1] || 2000) || 2000;
  // Two master keys, as during a rotation: a token signed by the second costs two tags to verify.
  const tokens = createReferenceTokens([Buffer.alloc(32, 1), Buffer.alloc(32, 2)]);
  const claims = { eventId: 'evt_01JD9XYZABCDEFGHJKMNPQRSTV', endpointId: 'crm-prod', field: 'recordingUrl', issuedAt: 1_800_000_000, expiresAt: 1_800_086_400 };
  const token = tokens.mint(claims);
  const lines = [
    `token: ${token.length} characters`,
    `mint: ${(await perOp(ops * 10, (i) => tokens.mint({ ...claims, expiresAt: claims.expiresAt + i }))).toFixed(1)} µs`,
    `verify: ${(await perOp(ops * 10, () => tokens.verify(token))).toFixed(1)} µs`,
  ];
  for (const kind of STORE_KINDS) {
    const place = await storePlace(kind);
    const store = await place.open({ masterKeys: [Buffer.alloc(32, 3)] });
    try {
      const keepUntil = new Date(Date.now() + 86_400_000);
      const keep = await perOp(ops, (i) => store.keepReferencedLink({ eventId: `evt_${i}`, field: 'url', url: LINK, keepUntil }));
      const read = await perOp(ops, (i) => store.referencedLink(`evt_${i}`, 'url'));
      lines.push(`${kind}: keep ${keep.toFixed(0)} µs, read ${read.toFixed(0)} µs`);
    } finally {
      await store.close();
      await place.dispose();
    }
  }
  for (const line of lines) process.stdout.write(`${line}\n`);
  // The shared PostgreSQL server stops as the process exits.
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CallbackEventsError } from '../errors';

/**
 * The master key (secrets at rest) and the payload key (Temporal payloads). Configured keys
 * win; without them (development) each is generated once under DATA_DIR/keys, mode 0600, so
 * encryption is always on.
 */

export interface ServiceKeys {
  master: Buffer[];
  payload: Buffer[];
  /** Files the keys were read from or written to, when generated. */
  generated: string[];
}

function loadOrCreate(file: string): Buffer {
  if (fs.existsSync(file)) {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new CallbackEventsError('invalid_config', `${file} does not hold base64 of 32 bytes; remove it to have a new key made (data sealed with the old one is then unreadable).`);
    return key;
  }
  const key = randomBytes(32);
  // `wx`: never overwrite a key another process has just written.
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreate(file);
    throw err;
  }
  return key;
}

export function resolveKeys(configured: { master: Buffer[]; payload: Buffer[] }, dataDir: string): ServiceKeys {
  const dir = path.join(dataDir, 'keys');
  const generated: string[] = [];
  const pick = (keys: Buffer[], name: string) => {
    if (keys.length > 0) return keys;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, name);
    generated.push(file);
    return [loadOrCreate(file)];
  };
  return { master: pick(configured.master, 'master.key'), payload: pick(configured.payload, 'payload.key'), generated };
}

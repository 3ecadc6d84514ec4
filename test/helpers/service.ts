import { freePort } from './ports';
import { temporalCliPath } from './stack';
import { spawnRole, type Proc } from './processes';
import { toolSettings } from './settings';

/** `npm start` as a real process tree (tsx src/main.ts), for tests of start, stop and restart. */

export interface ServiceProcess extends Proc {
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export function startService(env: Record<string, string>, args: string[] = []): ServiceProcess {
  const role = args[0] === 'api' || args[0] === 'worker' ? args[0] : 'all';
  const proc = spawnRole(role, { ...toolSettings().baseEnv, ...env }, { launcher: 'tsx-cli' });
  return { ...proc, waitForLine: (pattern, timeoutMs = 90_000) => proc.waitFor(pattern, timeoutMs) };
}

/** `npm start`'s settings on free ports, delivering to plain http receivers on loopback. */
export async function serviceEnv(dataDir: string) {
  return {
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_CLI_PATH: temporalCliPath(),
    CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true',
    CALLBACKS_ALLOW_HTTP: 'true',
  };
}

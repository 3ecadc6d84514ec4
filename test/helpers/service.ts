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

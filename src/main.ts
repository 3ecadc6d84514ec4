import { loadConfig, processEnvironment } from './config';
import { createLogger } from './log';
import { run, stopOnSignals, type Role } from './runtime';

/**
 * Entry point. `npm start` runs every role (and the embedded Temporal dev server unless
 * TEMPORAL_ADDRESS is set); `npm run api` / `npm run worker` pass one role.
 */
async function main(): Promise<void> {
  const arg = process.argv[2];
  const roles: Role[] = arg === 'api' || arg === 'worker' ? [arg] : ['api', 'worker'];
  let log = createLogger('info', 'callback-events');
  const env = processEnvironment();
  let config;
  try {
    config = loadConfig(env);
    log = createLogger(config.logLevel, 'callback-events');
  } catch (err) {
    log.error((err as Error).message);
    process.exit(2);
  }
  if (roles.length === 1 && !config.temporal.address) {
    log.error(`npm run ${roles[0]} needs TEMPORAL_ADDRESS (the embedded dev server runs only with npm start).`);
    process.exit(2);
  }
  const signals = stopOnSignals(log);
  try {
    const running = await run(config, roles, { path: env.PATH ?? '', signal: signals.signal });
    signals.running(running);
    const where = [
      running.apiUrl && `API ${running.apiUrl}`,
      running.uiUrl && `Temporal UI ${running.uiUrl}`,
      running.workerMetricsUrl && `worker metrics ${running.workerMetricsUrl}`,
    ].filter(Boolean);
    log.info(`callback-events is running${where.length ? `: ${where.join(', ')}` : ''}`, {
      api: running.apiUrl,
      temporal: running.temporalAddress,
      temporalUi: running.uiUrl,
      workerMetrics: running.workerMetricsUrl,
      dataDir: config.dataDir,
      // Which store, never its URL (it may hold a password).
      store: config.database ? 'postgresql' : 'sqlite',
      roles,
    });
  } catch (err) {
    if (signals.signal.aborted) {
      // Stopped while starting (say, waiting for Temporal): an operator's choice, not a failure.
      log.info('stopped', { reason: (signals.signal.reason as Error).message });
      process.exit(0);
    }
    log.error((err as Error).message, { code: (err as { code?: string }).code });
    process.exit(1);
  }
}

void main();

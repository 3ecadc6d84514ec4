import { endpointScenario } from './endpointScenario';
import { floodScenario } from './floodScenario';
import { killScenario } from './killScenario';
import type { Scenario } from './scenario';

/**
 * The suite, in the order it runs. The flood goes last: it floods at twice the delivery rate the
 * scenarios before it measured (and restarts the API with a matching ingest limit).
 */
export const scenarios: Scenario[] = [
  killScenario({ name: 'worker-kill', role: 'worker', events: 500, killAtFraction: 0.4, downMs: 0, concurrency: 16 }),
  // Longer than the API's 10 s deadline on a Temporal call, so the API does answer 503 meanwhile.
  killScenario({ name: 'server-kill', role: 'server', events: 500, killAtFraction: 0.4, downMs: 14_000, concurrency: 16 }),
  killScenario({ name: 'api-kill', role: 'api', events: 500, killAtFraction: 0.4, downMs: 2_000, concurrency: 16 }),
  endpointScenario({ name: 'endpoint-ops', events: 150, concurrency: 8 }),
  floodScenario({ name: 'flood', events: 400 }),
];

import type { ScenarioResult } from './scenario';

/**
 * One line per scenario, the same in the chaos suite and the cluster suite (`label` says which):
 * what was injected, the ledger's account, and the verdict.
 */
export function summaryLine(r: ScenarioResult, label = 'chaos'): string {
  const l = r.ledger;
  const faults = [...r.faults, `receiver 500s ${r.receiverFaults.failed}`, `hangs ${r.receiverFaults.hung}`].join('; ');
  const discarded = l.discardedDeleted > 0 ? `, discarded (endpoint deleted) ${l.discardedDeleted}` : '';
  const verdict = l.lost === 0 && r.problems.length === 0 ? 'ok' : 'FAILED';
  return (
    `${label} ${r.name}: events ${l.events}, deliveries ${l.deliveries}, faults [${faults}], delivered ${l.delivered}, ` +
    `in review ${l.inReview}${discarded}, lost ${l.lost}, duplicates ${l.duplicates}, requests ${l.requests}, ` +
    `drained in ${(l.drainMs / 1000).toFixed(1)} s, took ${(r.totalMs / 1000).toFixed(1)} s: ${verdict}`
  );
}

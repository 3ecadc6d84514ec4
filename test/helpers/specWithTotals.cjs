/**
 * Mocha's spec reporter, closing with one plain line of totals ("mocha: N passed, N failed, N skipped")
 * after its own "N passing" summary: the form CI and other tooling read, which mocha's does not have.
 * Plain CommonJS because mocha requires reporters before tsx is in place. `--reporter-option
 * label=NAME` names the line after a suite run on its own (`cluster: …` for `npm run test:cluster`).
 */
'use strict';
const Mocha = require('mocha');

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const label = (options && options.reporterOptions && options.reporterOptions.label) || 'mocha';
    // Registered after Spec's own listener, so it prints after the "passing/failing" epilogue.
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      process.stdout.write(`${label}: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithTotals;

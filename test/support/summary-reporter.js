/** Prints the closing line CI reads, "N passed, N failed", as the very last line of the run. */
const { writeSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    // A suite that fails to load counts as a failure even though none of its tests ran.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    // jest prints its own summary after every reporter; waiting for exit keeps ours last.
    process.once('exit', () => writeSync(2, `\n${line}\n`));
  }
}
module.exports = SummaryReporter;

/** The stack's test files share one running topology: the files that disturb it come late, and stop.test.ts, which stops it, last. */
const Sequencer = require('@jest/test-sequencer').default;

const ORDER = ['deploy-files', 'orders', 'support', 'failover', 'stop'];
const rank = (path) => {
  const i = ORDER.findIndex((name) => path.endsWith(`/${name}.test.ts`));
  return i === -1 ? ORDER.length - 1.5 : i;
};

class StackSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path));
  }
}
module.exports = StackSequencer;

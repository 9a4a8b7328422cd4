// Spec output, then one closing line CI can read: "N passed, N failed[, N skipped]".
const Mocha = require("mocha");
const { EVENT_RUN_END } = Mocha.Runner.constants;

class CiReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      process.nextTick(() => {
        console.log(`${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ""}`);
      });
    });
  }
}
module.exports = CiReporter;

// Spec output, then one closing line CI can read: "N passed, N failed[, N skipped]". Tests
// skipped because a reader is missing (test/support/tools.ts) are summed up just before it,
// with the Debian packages to install.
const Mocha = require("mocha");
const { EVENT_RUN_END } = Mocha.Runner.constants;
const SHARED_KEY = Symbol.for("gulp-aero-guest-tools.test-tools");

class CiReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // requireTools() skips whatever runs now (runner.currentRunnable): a test or a hook.
    (globalThis[SHARED_KEY] ??= {}).runner = runner;
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      process.nextTick(() => {
        const { missing } = globalThis[SHARED_KEY];
        if (missing && missing.size) {
          const tools = [...missing].sort(([a], [b]) => (a < b ? -1 : 1));
          const pkgs = [...new Set(tools.map(([, pkg]) => pkg))];
          console.log(`skipped for want of: ${tools.map(([t, pkg]) => `${t} (${pkg})`).join(", ")}; install them with: apt-get install ${pkgs.join(" ")}`);
        }
        console.log(`${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ""}`);
      });
    });
  }
}
module.exports = CiReporter;

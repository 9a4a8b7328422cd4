/**
 * .gulp.cjs sets nodeFlags, so gulp-cli runs the tasks in a respawned child, and it does not
 * forward signals: a CI runner that sends SIGTERM to the gulp process it started (the parent)
 * would leave the child building or watching. The child therefore watches its parent, and when
 * the parent is gone it sends itself SIGTERM, which runs the usual cleanup (temp files removed,
 * a watch stopped).
 */
export function stopWhenParentDies(intervalMs = 500): void {
  // gulp-cli marks the respawned child with this flag.
  if (!process.argv.includes("--no-respawning")) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      process.kill(process.pid, "SIGTERM");
    }
  }, intervalMs);
  timer.unref();
}

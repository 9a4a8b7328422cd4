/**
 * The plugins' logger: gulplog, so gulp-cli's --silent and --log-level govern what they print.
 *
 * gulplog's emitter throws on an 'error' event nobody listens to. gulp-cli 3 always listens (a
 * no-op under --silent), but gulp 4's gulp-cli 2 listens only on the old gulplog, and the new one
 * re-emits that old logger's events: its report of a failed task would then throw from inside the
 * report and hide the message. A listener that does nothing keeps the old logger's report the one
 * that is shown, and keeps our plugins from throwing where no gulp-cli listens at all.
 */
import type { EventEmitter } from "node:events";
import log from "gulplog";

// gulplog is an EventEmitter; its types declare only the log functions.
const emitter = log as unknown as EventEmitter;
if (emitter.listenerCount("error") === 0) emitter.on("error", () => undefined);

export default log;

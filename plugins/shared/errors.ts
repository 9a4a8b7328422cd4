import PluginError from "plugin-error";

/**
 * A PluginError for a user mistake: one clear message, no stack trace.
 * Internal bugs should propagate as ordinary errors so their stack is kept.
 */
export function userError(plugin: string, message: string, fileName?: string): PluginError {
  const options: PluginError.Options = { showStack: false, showProperties: false };
  if (fileName !== undefined) options.fileName = fileName;
  return new PluginError(plugin, message, options);
}

/** Wrap anything thrown inside a plugin: keep PluginErrors, name the plugin on the rest. */
export function asPluginError(plugin: string, error: unknown, fileName?: string): PluginError {
  if (error instanceof PluginError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as NodeJS.ErrnoException).code;
  // I/O failures are user-facing (a missing or unreadable file): no stack.
  if (typeof code === "string") return userError(plugin, err.message, fileName);
  const options: PluginError.Options = { showStack: true };
  if (fileName !== undefined) options.fileName = fileName;
  return new PluginError(plugin, err, options);
}

export { PluginError };

/** The debounce and queue of `gulp watch` (pure timing logic; the build is a callback). */

export type ChangeKind = "added" | "changed" | "deleted";

/** Changed paths and what happened to each last. */
export type Changes = Map<string, ChangeKind>;

export interface RebuildLoopOptions {
  /** Quiet time after the last change before a rebuild starts. */
  debounceMs: number;
  /** One build. `changes` is empty for the first. Must not throw (report problems itself). */
  run(changes: Changes, signal: AbortSignal): Promise<void>;
}

/**
 * Runs builds one at a time: changes arriving while idle start a rebuild once they have been
 * quiet for debounceMs; changes arriving during a build are kept and give exactly one more
 * rebuild after it (again debounced).
 */
export class RebuildLoop {
  readonly #options: RebuildLoopOptions;
  #pending: Changes = new Map();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #stopped = false;
  /** Builds started so far. */
  builds = 0;

  constructor(options: RebuildLoopOptions) {
    this.#options = options;
  }

  /** Start a build now (the first one), unless one is running. */
  start(): void {
    if (!this.#stopped && !this.#running) this.#begin(new Map());
  }

  /** A path changed. */
  notify(kind: ChangeKind, absPath: string): void {
    if (this.#stopped) return;
    this.#pending.set(absPath, kind);
    if (!this.#running) this.#schedule();
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Resolves once no build runs and none is scheduled. */
  async idle(): Promise<void> {
    while (this.#running || this.#timer) {
      if (this.#running) await this.#running;
      else await new Promise((r) => setTimeout(r, this.#options.debounceMs));
    }
  }

  /** Stop: cancel a scheduled rebuild, abort a running one and wait until it has cleaned up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    await this.#running;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const changes = this.#pending;
      this.#pending = new Map();
      this.#begin(changes);
    }, this.#options.debounceMs);
  }

  #begin(changes: Changes): void {
    this.builds++;
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#options
      .run(changes, abort.signal)
      .catch(() => undefined) // run reports its own problems
      .finally(() => {
        this.#running = undefined;
        this.#abort = undefined;
        if (!this.#stopped && this.#pending.size > 0) this.#schedule();
      });
  }
}

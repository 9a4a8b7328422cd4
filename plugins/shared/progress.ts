/**
 * Progress of a media build, as events. Plugins report bytes through a ProgressSink; how it is
 * shown (a bar on a terminal, log lines in CI, nothing) is the caller's choice.
 */
export interface ProgressSink {
  /** A new phase starts; totalBytes when the phase moves a known number of bytes. */
  phase(name: string, totalBytes?: number): void;
  /** Bytes done in the current phase. */
  advance(bytes: number): void;
  /** The build finished (successfully or not). */
  end(): void;
}

/** A sink that ignores everything. */
export const silentProgress: ProgressSink = {
  phase() {},
  advance() {},
  end() {},
};

/**
 * One read per file across two stages of a build. A later stage that reads the files anyway (the
 * media feed: hash, ISO, zip) hands their bytes, in order, to an earlier stage that only hashes
 * them (validateSpec's catalog checks, deferred until the commit), so the bytes the checks judge
 * are the bytes packaged, and no file is read twice.
 *
 * So that nothing depends on timing, the follower declares up front which files it may follow
 * (expect), and the reader waits, before reading one of those, until the follower has either
 * started following it or released it (it needs nothing more of it). A follower who still cannot
 * be served (the reader will not read that file, its read failed, or the build stopped) is told
 * so and reads the file itself: results never depend on who read first, only the work does.
 */

/** The longest a reader waits for an expected follower (the parse of one catalog takes milliseconds). */
const FOLLOW_WAIT_MS = 2000;

interface Follower {
  onChunk(chunk: Buffer): void;
  /** Offset of the next byte it expects. */
  next: number;
  resolve(served: boolean): void;
}

export class SharedReads {
  #offered: Set<object> | undefined;
  /** Offered files whose read has not ended: at zero nothing more is coming. */
  #unended = 0;
  #closed = false;
  readonly #ready: Promise<void>;
  #markReady!: () => void;
  /** Files whose read has begun: too late to follow from the start. */
  readonly #begun = new WeakSet<object>();
  readonly #ended = new WeakSet<object>();
  readonly #followers = new Map<object, Follower[]>();
  /** Files a follower may still ask for, and the readers waiting until it has (or has released them). */
  readonly #expected = new Map<object, Array<() => void>>();

  constructor() {
    this.#ready = new Promise<void>((resolve) => (this.#markReady = resolve));
  }

  /** The follower, before the reader starts: it may follow these files (it follows or releases each). */
  expect(contents: Iterable<object>): void {
    for (const c of contents) if (!this.#expected.has(c)) this.#expected.set(c, []);
  }

  /** The follower needs nothing (more) of `contents`: the reader need not wait for it. */
  release(contents: object): void {
    const waiting = this.#expected.get(contents);
    if (!waiting) return;
    this.#expected.delete(contents);
    for (const go of waiting) go();
  }

  /**
   * The reader, before reading `contents` from byte 0: resolves once no follower will ask for it
   * later, or after FOLLOW_WAIT_MS at most (like the media feed, nothing waits forever: a follower
   * later than that reads the file itself).
   */
  beforeRead(contents: object): Promise<void> | undefined {
    const waiting = this.#expected.get(contents);
    if (!waiting || this.#closed) return undefined;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FOLLOW_WAIT_MS);
      timer.unref?.();
      waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The reader: it will read each of these files (their contents objects) once, from byte 0, in order. */
  offer(contents: Iterable<object>): void {
    this.#offered = new Set(contents);
    this.#unended = this.#offered.size;
    this.#markReady();
  }

  /** The reader read `chunk` at `offset` of `contents`; followers must be done with it on return. */
  chunk(contents: object, offset: number, chunk: Buffer): void {
    if (offset === 0) this.#begun.add(contents);
    const followers = this.#followers.get(contents);
    if (!followers) return;
    for (const f of [...followers]) {
      if (f.next !== offset) {
        this.#settle(contents, f, false);
        continue;
      }
      try {
        f.onChunk(chunk);
        f.next += chunk.length;
      } catch {
        this.#settle(contents, f, false);
      }
    }
  }

  /** The reader is through `contents`: all `size` bytes read and the file checked unchanged (ok), or its read failed. */
  end(contents: object, ok: boolean, size: number): void {
    if (this.#offered?.has(contents) && !this.#ended.has(contents)) {
      this.#ended.add(contents);
      if (--this.#unended === 0) this.#closed = true;
    }
    this.#begun.add(contents);
    for (const f of [...(this.#followers.get(contents) ?? [])]) this.#settle(contents, f, ok && f.next === size);
  }

  /** Nothing more will be read (the build ended, failed or was stopped): every follower still waiting reads for itself. */
  close(): void {
    this.#closed = true;
    this.#markReady();
    for (const c of [...this.#expected.keys()]) this.release(c);
    for (const [contents, followers] of [...this.#followers]) for (const f of [...followers]) this.#settle(contents, f, false);
  }

  /**
   * The follower: hand every byte of `contents`, in order, to `onChunk` as the reader reads it.
   * Resolves true once all were handed over and the reader found the file unchanged; false when
   * the follower must read the file itself (onChunk may have seen part of it: start again).
   */
  async follow(contents: object, onChunk: (chunk: Buffer) => void): Promise<boolean> {
    await this.#ready;
    if (this.#closed || !this.#offered?.has(contents) || this.#begun.has(contents)) {
      this.release(contents);
      return false;
    }
    const served = new Promise<boolean>((resolve) => {
      const list = this.#followers.get(contents) ?? [];
      list.push({ onChunk, next: 0, resolve });
      this.#followers.set(contents, list);
    });
    this.release(contents); // followed: the reader may go
    return served;
  }

  #settle(contents: object, f: Follower, served: boolean): void {
    const list = this.#followers.get(contents);
    if (!list) return;
    const i = list.indexOf(f);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.#followers.delete(contents);
    f.resolve(served);
  }
}

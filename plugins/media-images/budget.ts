/**
 * The bound on the shared reader's kept chunks (see feed.ts): at most BUDGET bytes wait for an
 * image; an image that has taken nothing for STALL_MS, or has moved PASSED files past a chunk, is
 * not waited for, its chunks dropped (it reads them again itself).
 */
import zlib from "node:zlib";
import { ALL, CONSUMERS, type Chunk } from "./chunks.js";

/** Bytes of chunks kept for an image that has not taken them yet. */
const BUDGET = 8 * 1024 * 1024;
/** An image that has taken nothing for this long is not waited for. */
const STALL_MS = 1000;
/** An image that has moved this many files past a kept chunk will not take it (it skipped the file). */
const PASSED = 32;

export class ChunkBudget {
  /** Chunks holding bytes, oldest first. */
  readonly #kept = new Set<Chunk>();
  #keptBytes = 0;
  readonly #lastTake = new Map<number, number>();
  #wakers: Array<() => void> = [];
  /** Images waiting for the manifest (each reads it once). */
  #parked = 0;
  readonly #closed: () => boolean;

  /** `closed`: the feed stopped; nothing waits any more. */
  constructor(closed: () => boolean) {
    this.#closed = closed;
    const now = Date.now();
    for (const bit of [CONSUMERS.iso, CONSUMERS.zip]) this.#lastTake.set(bit, now);
  }

  /** Keep a chunk's bytes until both images have taken them. */
  keep(chunk: Chunk, buf: Buffer): void {
    chunk.buf = buf;
    chunk.pending = ALL;
    this.#kept.add(chunk);
    this.#keptBytes += chunk.length;
  }

  /** An image takes a chunk: its kept bytes, or undefined when it must read them again. */
  take(chunk: Chunk, consumer: number): Buffer | undefined {
    this.#lastTake.set(consumer, Date.now());
    if (!chunk.buf || !(chunk.pending & consumer)) return undefined;
    const buf = chunk.buf;
    chunk.pending &= ~consumer;
    if (chunk.pending === 0) this.#drop(chunk);
    return buf;
  }

  /** An image waits for the manifest; once both do, nothing waits for them. */
  park(): void {
    this.#parked++;
    this.wake();
  }

  /** Forget every kept chunk (the feed stopped). */
  clear(): void {
    for (const chunk of this.#kept) chunk.buf = undefined;
    this.#kept.clear();
    this.#keptBytes = 0;
  }

  /**
   * Wait until `length` more bytes may be kept. Chunks only stalled images still need are dropped
   * first. Once the images are parked (waiting for the manifest), nothing waits: false means "do
   * not keep this chunk" (the images read it again when they get there).
   */
  async room(length: number): Promise<boolean> {
    for (;;) {
      if (this.#closed() || this.#keptBytes + length <= BUDGET || this.#kept.size === 0) return true;
      const now = Date.now();
      const live = [CONSUMERS.iso, CONSUMERS.zip].filter((c) => now - this.#lastTake.get(c)! < STALL_MS).reduce((a, c) => a | c, 0);
      for (const chunk of this.#kept) {
        if (this.#keptBytes + length <= BUDGET) break;
        if ((chunk.pending & live) === 0) this.#drop(chunk);
      }
      if (this.#keptBytes + length <= BUDGET) return true;
      if (this.#parked >= 2) return false;
      // A requester (an image needing this chunk now) waits like the prefetcher: the other image
      // takes the kept chunks soon, or stalls and loses them.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STALL_MS);
        timer.unref?.();
        this.#wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** An image started file `index`: it skipped (will not take) kept chunks of files well before it. */
  passed(consumer: number, index: number): void {
    for (const chunk of this.#kept) {
      if (chunk.file.index >= index - PASSED) break;
      chunk.pending &= ~consumer;
      if (chunk.pending === 0) this.#drop(chunk);
    }
  }

  #drop(chunk: Chunk): void {
    if (!this.#kept.delete(chunk)) return;
    // Some image may still read it again: remember what it must find (only then is a CRC needed).
    if (chunk.pending !== 0) chunk.crc = zlib.crc32(chunk.buf!);
    chunk.buf = undefined;
    this.#keptBytes -= chunk.length;
    this.wake();
  }

  /** Let every waiting reader look again. */
  wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const w of wakers) w();
  }
}

/** The payload's two deterministic sources: SplitMix64 for layout decisions, keyed SHAKE-128 for bulk bytes. */
import { createHash } from "node:crypto";

const MASK64 = (1n << 64n) - 1n;

/** Small deterministic PRNG for layout decisions (not for bulk bytes); 64-bit, hence BigInt. */
export class SplitMix64 {
  private state: bigint;
  constructor(seed: Buffer) {
    this.state = createHash("sha256").update(seed).digest().readBigUInt64LE(0);
  }
  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }
  /** next() & mask, as a number (mask below 2^53). */
  bits(mask: number): number {
    return Number(this.next() & BigInt(mask));
  }
  uniform(): number {
    return Number(this.next() >> 11n) / 2 ** 53;
  }
  below(n: number): number {
    return n > 0 ? Number(this.next() % BigInt(n)) : 0;
  }
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }
  normal(): number {
    const u1 = Math.max(this.uniform(), 1e-12);
    const u2 = this.uniform();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}

/** Keyed SHAKE-128 stream for bulk pseudo-random bytes: each take hashes key + a counter. */
export class ByteSource {
  private counter = 0n;
  constructor(private readonly key: Buffer) {}
  take(n: number): Buffer {
    this.counter += 1n;
    const c = Buffer.alloc(8);
    c.writeBigUInt64LE(this.counter);
    return n === 0 ? Buffer.alloc(0) : createHash("shake128", { outputLength: n }).update(this.key).update(c).digest();
  }
}

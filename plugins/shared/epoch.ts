/**
 * SOURCE_DATE_EPOCH handling: one parser and the clamping each output format needs.
 * Epochs are i64 seconds (bigint), so i64::MAX round-trips exactly into the manifest.
 */

export type Epoch = bigint;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Parse a decimal i64 ("+5" allowed, like Rust); undefined when it is not one. */
export function parseEpoch(text: string): Epoch | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < I64_MIN || value > I64_MAX ? undefined : value;
}

/** Accept number | bigint | numeric string from plugin options. */
export function toEpoch(value: number | bigint | string | undefined, what = "sourceDateEpoch"): Epoch {
  if (value === undefined) return 0n;
  if (typeof value === "bigint") {
    if (value < I64_MIN || value > I64_MAX) throw new TypeError(`${what} is outside the i64 range`);
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${what} must be an integer number of seconds, got ${value}`);
    return BigInt(value);
  }
  const parsed = parseEpoch(value);
  if (parsed === undefined) throw new TypeError(`${what} must be an integer number of seconds, got ${JSON.stringify(value)}`);
  return parsed;
}

function clamp(value: Epoch, lo: Epoch, hi: Epoch): Epoch {
  return value < lo ? lo : value > hi ? hi : value;
}

/** ISO9660 dates hold 1900-01-01T00:00:00Z .. 2155-12-31T23:59:59Z. */
export function clampIsoEpoch(epoch: Epoch): Date {
  return new Date(Number(clamp(epoch, -2208988800n, 5869583999n)) * 1000);
}

/** DOS (zip) dates hold 1980-01-01T00:00:00 .. 2107-12-31T23:59:58 (2-second steps). */
export function clampDosEpoch(epoch: Epoch): Date {
  return new Date(Number(clamp(epoch, 315532800n, 4354819198n)) * 1000);
}

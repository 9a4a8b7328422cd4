/** The fuzz targets: name → how the fuzzer runs it. Each lives in fuzz/targets/<name>.ts and exports `fuzz(data)`. */
export interface TargetInfo {
  /** Pure synchronous targets run with Jazzer's --sync (much faster). */
  sync: boolean;
  /** Largest input libFuzzer generates. */
  maxLen: number;
}

export const TARGETS: Record<string, TargetInfo> = {
  "iso-reader": { sync: false, maxLen: 256 * 1024 },
  inf: { sync: true, maxLen: 64 * 1024 },
  spec: { sync: true, maxLen: 16 * 1024 },
  "spec-pattern": { sync: true, maxLen: 8 * 1024 },
  "devices-cmd": { sync: true, maxLen: 16 * 1024 },
  contract: { sync: true, maxLen: 16 * 1024 },
};

/**
 * Which spec driver a driver directory belongs to: the one rule validate-spec, payload-policy and
 * the catalog checks share.
 */
import { foldCase, hasAeroGpuAlias } from "./names.js";
import type { DriverSpec, PackagingSpec } from "./spec.js";

/** The spec driver a driver directory name belongs to (ignoring case; `aero-gpu` → aerogpu). */
export function matchSpecDriver(spec: PackagingSpec, dirName: string): { driver: DriverSpec; alias: boolean } | undefined {
  const key = foldCase(dirName);
  for (const driver of spec.drivers) {
    if (foldCase(driver.name) === key) return { driver, alias: false };
  }
  if (key === "AERO-GPU") {
    const driver = spec.drivers.find((d) => hasAeroGpuAlias(d.name));
    if (driver) return { driver, alias: true };
  }
  return undefined;
}

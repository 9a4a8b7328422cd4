/**
 * The upstream virtio-win.iso as a source of Windows 7 drivers, read in place (no mounting, no
 * extraction): virtioWinDrivers(isoPath, { profile }) yields the profile's driver files as
 * `x86/<driver>/...` and `amd64/<driver>/...` (a drivers-dir layout, so normalizeArch maps them),
 * virtioWinLicenses(isoPath, { profile }) the image's root license files and a provenance file
 * under licenses/virtio-win/. openVirtioWin() gives both from one reading of the image, and
 * buildVirtioWinGuestToolsMedia() is the whole `guest-tools:virtio-win` task as a function.
 */
export {
  LICENSE_PREFIXES,
  VIRTIO_WIN_ARCH_FOLDERS,
  VIRTIO_WIN_DRIVERS,
  VIRTIO_WIN_PROFILES,
  WIN7_FOLDERS,
  isVirtioWinProfile,
  mapDriverFiles,
  planVirtioWin,
  type DriverPlan,
  type ImageEntry,
  type MappedFile,
  type VirtioWinDriver,
  type VirtioWinPlan,
  type VirtioWinProfile,
} from "./layout.js";
export {
  DRIVER_PACK_MANIFEST_PATH,
  driverPackManifest,
  driverPackManifestBytes,
  type DriverPackManifest,
  type VirtioWinImageInfo,
} from "./provenance.js";
export { VirtioWinImage, openVirtioWin, virtioWinDrivers, virtioWinLicenses, type VirtioWinOptions } from "./image.js";
export {
  buildVirtioWinGuestToolsMedia,
  virtioWinSpecPath,
  VIRTIO_WIN_CONTRACT_PATH,
  type VirtioWinMediaOptions,
  type VirtioWinMediaResult,
} from "./media.js";

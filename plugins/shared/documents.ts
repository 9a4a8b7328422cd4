/**
 * Reading the documents the build loads and parses (spec, device contract, devices.cmd, INFs,
 * certificates): each must be a regular file within the size cap of its kind. A FIFO would block
 * open() forever, /dev/zero never ends, a sparse 3 GiB devices.cmd exhausts memory: all are refused
 * with a message naming the file, the rule and the flag, before any byte is read.
 *
 * Paths are checked with stat (a symlink to a regular file is fine), then opened with O_NONBLOCK
 * (a FIFO swapped in after the stat cannot block the open) and checked again on the handle (fstat:
 * what is read is what was checked). The read stops one byte past the cap, whatever the size said,
 * so a file growing while it is read (or a /proc file reporting size 0) is still bounded.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { open } from "node:fs/promises";

const MiB = 1024 * 1024;

/**
 * The one table of caps. Real specs and contracts are under 20 KiB, a devices.cmd under 4 KiB, a
 * certificate (DER/PEM, or a .p7b chain) a few KiB; the largest vendor INFs (GPU drivers listing
 * thousands of devices) are a few MiB. Each cap leaves ample room above those and keeps a hostile
 * or mistaken input far from exhausting memory (parsing holds a few copies of the text). A
 * manifest.json lists every file of the media: 128 MiB holds about a million entries.
 */
export const DOCUMENT_LIMITS = {
  spec: { noun: "packaging spec", a: "a packaging spec", bytes: 4 * MiB },
  contract: { noun: "windows device contract", a: "a windows device contract", bytes: 4 * MiB },
  devicesCmd: { noun: "devices.cmd", a: "devices.cmd", bytes: 1 * MiB },
  inf: { noun: "INF", a: "an INF", bytes: 16 * MiB },
  certificate: { noun: "certificate", a: "a certificate", bytes: 1 * MiB },
  manifest: { noun: "manifest", a: "a manifest", bytes: 128 * MiB },
} as const;

export type DocumentKind = keyof typeof DOCUMENT_LIMITS;

export interface DocumentOptions {
  /** How the file is named in messages (as given by the user, or a package path). Default: the path. */
  label?: string;
  /** The flag the file came from, named in messages (e.g. "--spec"). */
  flag?: string;
}

/**
 * A document refused (code EDOCUMENTTYPE, EDOCUMENTSIZE, EFILECHANGED) or unreadable (the errno
 * code): a user mistake, with a `code`, so plugins report it without a stack.
 */
export class DocumentError extends Error {
  readonly code: string;
  readonly path: string;
  constructor(message: string, path: string, code: string) {
    super(message);
    this.name = "DocumentError";
    this.code = code;
    this.path = path;
  }
}

/** "1 MiB", "3.0 GiB", "512 bytes": caps are whole MiB, sizes one decimal. */
export function formatSize(bytes: number, whole = false): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${whole && Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

function subject(kind: DocumentKind, label: string): string {
  // "config/devices.cmd" says what it is; "devices.cmd config/devices.cmd" would not read well.
  return kind === "devicesCmd" ? label : `${DOCUMENT_LIMITS[kind].noun} ${label}`;
}

const suffix = (flag: string | undefined) => (flag ? ` (${flag})` : "");

function fileType(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/** Throw unless a document of `size` bytes is within the cap of its kind. */
export function checkDocumentSize(kind: DocumentKind, size: number, label: string, flag?: string): void {
  const limit = DOCUMENT_LIMITS[kind];
  if (size > limit.bytes) {
    throw new DocumentError(
      `${subject(kind, label)} is ${formatSize(size)}, over the ${formatSize(limit.bytes, true)} limit for ${limit.a}${suffix(flag)}`,
      label,
      "EDOCUMENTSIZE",
    );
  }
}

/** Throw unless `st` is a regular file within the cap. */
function checkStat(kind: DocumentKind, st: Stats, label: string, flag: string | undefined): void {
  if (!st.isFile()) {
    const type = fileType(st);
    throw new DocumentError(`${subject(kind, label)} is ${type}${type.startsWith("not") ? "" : ", not a regular file"}${suffix(flag)}`, label, "EDOCUMENTTYPE");
  }
  checkDocumentSize(kind, st.size, label, flag);
}

/** True for a refusal of this module (wrong type, over the cap, replaced), as opposed to an I/O error. */
export function isDocumentRefusal(err: unknown): boolean {
  return err instanceof DocumentError && ["EDOCUMENTTYPE", "EDOCUMENTSIZE", "EFILECHANGED"].includes(err.code);
}

/** What was opened (fstat of the handle) is what was checked by path, and passes the same checks. */
function checkOpened(kind: DocumentKind, before: Stats, opened: Stats, label: string, flag: string | undefined): void {
  checkStat(kind, opened, label, flag);
  if (before.dev !== opened.dev || before.ino !== opened.ino) {
    throw new DocumentError(`${subject(kind, label)} was replaced while it was being read; re-run the build`, label, "EFILECHANGED");
  }
}

/** A read or open failure, phrased per kind ("packaging spec not found or unreadable: x (--spec)"). */
function ioError(kind: DocumentKind, err: unknown, label: string, flag: string | undefined): DocumentError {
  if (err instanceof DocumentError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? "EIO";
  return new DocumentError(`${DOCUMENT_LIMITS[kind].noun} not found or unreadable: ${label}${suffix(flag)} (${code})`, label, code);
}

// O_NONBLOCK does not exist on Windows, where there are no FIFOs to block on.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** The bytes of a document on disk, checked as described above. */
export async function readDocument(kind: DocumentKind, path: string, options: DocumentOptions = {}): Promise<Buffer> {
  const label = options.label ?? path;
  const limit = DOCUMENT_LIMITS[kind].bytes;
  try {
    const before = statSync(path);
    checkStat(kind, before, label, options.flag);
    const handle = await open(path, OPEN_FLAGS);
    try {
      const st = await handle.stat();
      checkOpened(kind, before, st, label, options.flag);
      let buf: Buffer = Buffer.allocUnsafe(Math.min(st.size, limit) + 1);
      let total = 0;
      for (;;) {
        if (total === buf.length) buf = enlarge(buf, limit);
        const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > limit) checkDocumentSize(kind, total, label, options.flag);
      }
      return buf.subarray(0, total);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw ioError(kind, err, label, options.flag);
  }
}

/** readDocument for synchronous loaders (loadSpecFile, validateSpec(path)). */
export function readDocumentSync(kind: DocumentKind, path: string, options: DocumentOptions = {}): Buffer {
  const label = options.label ?? path;
  const limit = DOCUMENT_LIMITS[kind].bytes;
  try {
    const before = statSync(path);
    checkStat(kind, before, label, options.flag);
    const fd = openSync(path, OPEN_FLAGS);
    try {
      const st = fstatSync(fd);
      checkOpened(kind, before, st, label, options.flag);
      let buf: Buffer = Buffer.allocUnsafe(Math.min(st.size, limit) + 1);
      let total = 0;
      for (;;) {
        if (total === buf.length) buf = enlarge(buf, limit);
        const bytesRead = readSync(fd, buf, total, buf.length - total, total);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > limit) checkDocumentSize(kind, total, label, options.flag);
      }
      return buf.subarray(0, total);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw ioError(kind, err, label, options.flag);
  }
}

/**
 * A full buffer while the file goes on (it grew, or reported a wrong size): a bigger one, never
 * over the cap plus the one byte that proves the file is over it.
 */
function enlarge(buf: Buffer, limit: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.min(Math.max(buf.length * 2, 64 * 1024), limit + 1));
  buf.copy(bigger);
  return bigger;
}

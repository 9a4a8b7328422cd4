/** Drive a plugin directly with vinyl files (no gulp), as gulp-zip's and gulp-filter's tests do. */
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import Vinyl from "vinyl";

export function bufferFile(relative: string, contents: Buffer | string, base = "/virtual"): Vinyl {
  return new Vinyl({
    cwd: base,
    base,
    path: `${base}/${relative}`,
    contents: Buffer.isBuffer(contents) ? contents : Buffer.from(contents, "utf8"),
  });
}

/** Push files through the given stages and collect what comes out. */
export async function runPlugins(files: Vinyl[], ...stages: Transform[]): Promise<Vinyl[]> {
  const out: Vinyl[] = [];
  await pipeline([
    Readable.from(files, { objectMode: true }),
    ...stages,
    new Writable({
      objectMode: true,
      write(file: Vinyl, _e, cb) {
        out.push(file);
        cb();
      },
    }),
  ]);
  return out;
}

/** Read a vinyl's contents fully (Buffer or stream). */
export async function contentsOf(file: Vinyl): Promise<Buffer> {
  if (Buffer.isBuffer(file.contents)) return file.contents;
  const chunks: Buffer[] = [];
  for await (const c of file.contents as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

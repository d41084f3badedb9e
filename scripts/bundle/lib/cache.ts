// The component cache: ${KUBELAB_CACHE:-~/.cache/kubelab}/bundle/<component>-<version>/.
// A component is built into a temporary sibling directory and renamed into place only when its
// build succeeded, so a directory that exists is complete and an interrupted build starts that
// component over (while every finished one is kept).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBELAB_CACHE || path.join(os.homedir(), ".cache", "kubelab");
}

export function bundleCache(root: string): string {
  return path.join(root, "bundle");
}

/** A short content hash for cache keys: changes to a recipe give a new directory, never a stale hit. */
export function shortHash(...parts: (string | Buffer)[]): string {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 10);
}

export function sha256File(file: string): string {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

export interface Cached {
  dir: string;
  built: boolean;
  seconds: number;
}

/**
 * Returns the component's directory, building it first when absent. `build` writes into the
 * temporary directory it is given; leftovers of an earlier interrupted attempt are removed first.
 */
export async function cachedComponent(
  cache: string,
  key: string,
  build: (tmp: string) => void | Promise<void>,
): Promise<Cached> {
  const dir = path.join(cache, key);
  if (fs.existsSync(dir)) return { dir, built: false, seconds: 0 };
  fs.mkdirSync(cache, { recursive: true });
  const tmp = path.join(cache, `.tmp-${key}`);
  const release = lock(`${tmp}.lock`, key);
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    const start = process.hrtime.bigint();
    await build(tmp);
    fs.renameSync(tmp, dir);
    return { dir, built: true, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  } finally {
    release();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** One builder per component at a time: a second run would delete the first one's work in progress. */
function lock(file: string, key: string): () => void {
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    if (pid > 0 && pid !== process.pid && alive(pid)) {
      throw new Error(`${key} is being built by process ${pid} (lock ${file}); wait for it to finish`);
    }
    fs.rmSync(file, { force: true }); // left by a build that was killed
  }
}

export function isCached(cache: string, key: string): boolean {
  return fs.existsSync(path.join(cache, key));
}

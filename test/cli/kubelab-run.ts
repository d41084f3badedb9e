// Runs the compiled `kubelab` command (dist/cli/kubelab.js, what `npm run <cmd>` and `npx kubelab`
// run). `npm test` builds it first; a dist/ older than the sources fails the test that ran it,
// with the fix, rather than testing yesterday's code.
import { SpawnSyncOptions, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const KUBELAB = path.join(ROOT, "dist", "cli", "kubelab.js");

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kubelab(args: string[], options: SpawnSyncOptions = {}): Ran {
  if (!fs.existsSync(KUBELAB)) throw new Error(`${KUBELAB} is missing: run \`npm run build\``);
  const run = spawnSync(process.execPath, [KUBELAB, ...args], { cwd: ROOT, encoding: "utf8", ...options });
  const stderr = String(run.stderr);
  const stale = /^kubelab: dist\/ is older than .*$/m.exec(stderr);
  if (stale) throw new Error(stale[0]);
  return { code: run.status, stdout: String(run.stdout), stderr };
}

// A compiled kubelab older than its sources runs yesterday's rules: when a run from dist/ loaded a
// module whose TypeScript source changed since the build, it says so (on stderr, once, at exit).
import * as fs from "fs";
import * as path from "path";

/** Sources (relative to the project) newer than the compiled modules of theirs that were loaded. */
export function staleSources(projectRoot: string, distRoot: string, loaded: string[]): string[] {
  return loaded.flatMap((js) => {
    const relative = path.relative(distRoot, js);
    if (relative.startsWith("..") || !js.endsWith(".js")) return [];
    const source = path.join(projectRoot, relative.replace(/\.js$/, ".ts"));
    try {
      return fs.statSync(source).mtimeMs > fs.statSync(js).mtimeMs ? [path.relative(projectRoot, source)] : [];
    } catch {
      // A published package carries no sources: nothing to compare.
      return [];
    }
  });
}

/** Called with the compiled cli/ folder (dist/cli); silent when running from the sources. */
export function warnIfStale(cliDir: string): void {
  const distRoot = path.dirname(cliDir);
  if (path.basename(distRoot) !== "dist") return;
  const stale = staleSources(path.dirname(distRoot), distRoot, Object.keys(require.cache));
  if (stale.length === 0) return;
  const more = stale.length > 1 ? ` and ${stale.length - 1} more` : "";
  process.stderr.write(`kubelab: dist/ is older than ${stale[0]}${more}; run \`npm run build\`\n`);
}

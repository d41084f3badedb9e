// The project's folder (the one holding package.json), the same whether this code runs from its
// TypeScript sources or compiled into dist/: files shipped beside the code (node scripts, stack
// files, Pulumi.yaml) are found from here, never from a module's own folder.
import * as fs from "fs";
import * as path from "path";

export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json in ${from} or any folder above it`);
  }
}

export const PROJECT_ROOT = projectRoot();

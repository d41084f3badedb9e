// kubelab's version, from its package.json: `kubelab --version` and the SARIF log's driver.
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-root";

export function kubelabVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

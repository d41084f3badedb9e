// The host's processes whose command line matches: what is left of a node after its teardown.
import * as fs from "fs";

/** `process <pid>: <command line>` for every process on the host whose command line matches. */
export function processesMatching(matches: (cmdline: string) => boolean): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue; // gone while the list was read
    }
    if (matches(cmdline)) found.push(`process ${pid}: ${cmdline.slice(0, 120)}`);
  }
  return found;
}

// What the build host needs before an hour of building starts: checked at once, every gap named.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";

export interface Host {
  /** True when the command is on PATH. */
  has: (command: string) => boolean;
  uid: number;
  /** The directory of the static libseccomp runc links against, when pkg-config knows it. */
  seccompLibDir?: string;
  exists: (file: string) => boolean;
}

const COMMANDS: [string, string][] = [
  ["go", "Go 1.26 or newer (https://go.dev/dl)"],
  ["gcc", "apt-get install -y gcc libc6-dev"],
  ["pkg-config", "apt-get install -y pkg-config"],
  ["debootstrap", "apt-get install -y debootstrap"],
  ["unshare", "apt-get install -y util-linux"],
  ["chroot", "apt-get install -y coreutils"],
  ["tar", "apt-get install -y tar"],
];

/** Problems with the host, each with its fix; empty when the build can start. */
export function preflightProblems(host: Host): string[] {
  const problems = COMMANDS.filter(([c]) => !host.has(c)).map(([c, fix]) => `${c} is not installed: ${fix}`);
  if (host.uid !== 0) {
    problems.push("the image root filesystems need root (debootstrap, chroot): run the build as root");
  }
  if (!host.seccompLibDir || !host.exists(`${host.seccompLibDir}/libseccomp.a`)) {
    problems.push("runc links libseccomp statically and libseccomp.a is missing: apt-get install -y libseccomp-dev");
  }
  return problems;
}

export function currentHost(): Host {
  const has = (c: string) => {
    try {
      execFileSync("sh", ["-c", `command -v "$1"`, "sh", c], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  let seccompLibDir: string | undefined;
  try {
    seccompLibDir = execFileSync("pkg-config", ["--variable=libdir", "libseccomp"], { encoding: "utf8" }).trim();
  } catch {
    seccompLibDir = undefined;
  }
  return { has, uid: process.getuid?.() ?? -1, seccompLibDir, exists: (f) => fs.existsSync(f) };
}

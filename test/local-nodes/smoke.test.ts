// The real thing, where the machine allows it: two local nodes on a bridge of their own, reached
// over SSH with a throwaway key and pinned host keys, pinging each other and running a nested
// container with runc; then destroyed, and nothing of them may be left on the host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { cidrsOverlap } from "../../lib/cidr";
import { NODE_SCRIPT, parseStartOutput, planLocalNetwork } from "../../lib/local-nodes";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "..", "..");
const NODE_SH = path.join(REPO, NODE_SCRIPT);
const CACHE = path.join(process.env.KUBELAB_CACHE ?? path.join(os.homedir(), ".cache", "kubelab"), "local-nodes");

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why this machine cannot run local nodes, or undefined when it can. */
function skipReason(): string | undefined {
  if (process.platform !== "linux") return `local nodes need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "local nodes need root (mounts, cgroups, bridges)";
  const packages: Record<string, string> = {
    "systemd-nspawn": "systemd-container",
    debootstrap: "debootstrap",
    ssh: "openssh-client",
    ping: "iputils-ping",
  };
  const missing = Object.keys(packages).filter((c) => !hasCommand(c));
  if (missing.length)
    return `missing ${missing.join(", ")} (apt-get install ${missing.map((c) => packages[c]).join(" ")})`;
  if (!fs.existsSync("/sys/fs/cgroup/memory"))
    return "the host offers no cgroup v1 memory controller (unified cgroup v2 only)";
  return undefined;
}

/** A private /24 no address or route of this host touches. */
function freeNetwork(): string {
  const taken = execFileSync("ip", ["-o", "-4", "route", "show"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((dest) => dest && dest !== "default")
    .map((dest) => (dest.includes("/") ? dest : `${dest}/32`));
  const start = process.pid % 200;
  for (let i = 0; i < 200; i++) {
    const cidr = `10.214.${(start + i) % 200}.0/24`;
    if (!taken.some((t) => cidrsOverlap(t, cidr))) return cidr;
  }
  throw new Error("no free 10.214.x.0/24 on this host");
}

async function nodeSh(stateDir: string, args: string[], input?: string): Promise<string> {
  const child = run("bash", [NODE_SH, "--state-dir", stateDir, ...args], { maxBuffer: 1 << 22 });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

/** The .debs of runc and busybox-static from the host's apt (the nodes reach no mirror themselves). */
function nestedContainerDebs(): { runc: string; busybox: string } {
  const dir = path.join(CACHE, "test-debs");
  fs.mkdirSync(dir, { recursive: true });
  const find = (prefix: string) => fs.readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith(".deb"));
  if (!find("runc_") || !find("busybox-static_")) {
    execFileSync("apt-get", ["download", "runc", "busybox-static"], { cwd: dir, stdio: "ignore" });
  }
  return { runc: path.join(dir, find("runc_") as string), busybox: path.join(dir, find("busybox-static_") as string) };
}

interface Leftovers {
  machines: string[];
  stateDir: string;
  bridge: string;
  veths: string[];
  cgroups: string[];
}

/** Everything of the nodes still on the host: processes, mounts, links, cgroups, state. */
function leftovers(l: Leftovers): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    if (l.machines.some((m) => cmdline.includes(`--machine=${m} `))) found.push(`process ${pid}: ${cmdline}`);
  }
  const mounts = fs.readFileSync("/proc/self/mounts", "utf8");
  if (mounts.includes(l.stateDir)) found.push(`mount under ${l.stateDir}`);
  for (const link of [l.bridge, ...l.veths]) {
    if (fs.existsSync(`/sys/class/net/${link}`)) found.push(`link ${link}`);
  }
  found.push(...l.cgroups.filter((dir) => fs.existsSync(dir)).map((dir) => `cgroup ${dir}`));
  found.push(...l.machines.filter((m) => fs.existsSync(path.join(l.stateDir, m))).map((m) => `state of ${m}`));
  return found;
}

test(
  "local nodes: two boot on their own bridge, answer SSH with pinned keys, ping, nest a container, leave nothing",
  { timeout: 900_000 },
  async (t) => {
    const reason = skipReason();
    if (reason) {
      t.skip(reason);
      return;
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-smoke-"));
    const stateDir = path.join(work, "nodes");
    const key = path.join(work, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kubelab-smoke", "-f", key]);
    const suffix = String(process.pid % 100000);
    const bridge = `kls${suffix}`;
    const machines = [`smoke${suffix}-a`, `smoke${suffix}-b`];
    const plan = planLocalNetwork(freeNetwork(), machines);
    const l: Leftovers = { machines, stateDir, bridge, veths: [], cgroups: [] };
    try {
      await nodeSh(stateDir, ["rootfs"]);
      await nodeSh(stateDir, ["bridge-up", bridge, plan.bridgeCidr]);
      const pubkey = fs.readFileSync(`${key}.pub`, "utf8");
      for (const m of machines) {
        const address = `${plan.addresses.get(m)}/${plan.prefix}`;
        const args = ["create", m, "--address", address, "--bridge", bridge, "--gateway", plan.gateway];
        await nodeSh(stateDir, [...args, "--user", "kube", "--pubkey-file", "-", "--memory", "1G"], pubkey);
      }
      const started = await Promise.all(
        machines.map(async (m) =>
          parseStartOutput(m, plan.addresses.get(m) as string, await nodeSh(stateDir, ["start", m])),
        ),
      );
      const knownHosts = path.join(work, "known_hosts");
      fs.writeFileSync(knownHosts, started.map((s) => `${s.address} ${s.hostKey}\n`).join(""));
      for (const m of machines) {
        l.veths.push(fs.readFileSync(path.join(stateDir, m, "veth"), "utf8").trim());
        l.cgroups.push(
          ...fs
            .readFileSync(path.join(stateDir, m, "cgroups"), "utf8")
            .trim()
            .split("\n"),
        );
      }
      const ssh = (address: string, script: string, input: string | Buffer = "") => {
        const opts = [
          "-i",
          key,
          "-o",
          "BatchMode=yes",
          "-o",
          "StrictHostKeyChecking=yes",
          "-o",
          `UserKnownHostsFile=${knownHosts}`,
        ];
        const child = run(
          "ssh",
          [
            ...opts,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
            `kube@${address}`,
            script,
          ],
          { maxBuffer: 1 << 22 },
        );
        child.child.stdin?.end(input);
        return child.then((r) => r.stdout.trim());
      };
      const [a, b] = started;

      for (const node of started) {
        assert.equal(
          await ssh(node.address, "timeout 60 systemctl is-system-running --wait || true"),
          "running",
          node.name,
        );
        assert.equal(await ssh(node.address, "sudo -n id -u"), "0", `passwordless sudo on ${node.name}`);
      }
      assert.equal(await ssh(a.address, `ping -c 1 -W 2 ${b.address} >/dev/null && echo ok`), "ok", "a reaches b");
      assert.equal(await ssh(b.address, `ping -c 1 -W 2 ${a.address} >/dev/null && echo ok`), "ok", "b reaches a");

      await t.test(
        "a container nests inside a node (runc, cgroup v1 writable, overlay on its containerd folder)",
        async () => {
          const debs = nestedContainerDebs();
          await ssh(a.address, "cat >/tmp/runc.deb", fs.readFileSync(debs.runc));
          await ssh(a.address, "cat >/tmp/busybox.deb", fs.readFileSync(debs.busybox));
          const bundle = "/var/lib/containerd/smoke";
          const spec = await ssh(
            a.address,
            `set -e; sudo -n dpkg -i /tmp/runc.deb >/dev/null; sudo -n rm -rf ${bundle}; sudo -n mkdir -p ${bundle}/rootfs/bin
         sudo -n dpkg-deb -x /tmp/busybox.deb ${bundle}/x; sudo -n cp ${bundle}/x/bin/busybox ${bundle}/rootfs/bin/
         cd ${bundle} && sudo -n runc spec && cat config.json`,
          );
          const config = JSON.parse(spec);
          config.process.terminal = false;
          config.process.args = ["/bin/busybox", "sh", "-c", "echo nested pid $$; /bin/busybox cat /proc/self/cgroup"];
          const out = await ssh(
            a.address,
            `set -e; cd ${bundle}; sudo -n tee config.json >/dev/null; sudo -n runc run smoke
         cd ${bundle} && sudo -n mkdir l u w m && sudo -n mount -t overlay overlay -o lowerdir=l,upperdir=u,workdir=w m
         sudo -n umount m && echo overlay ok; sudo -n rm -rf ${bundle}`,
            JSON.stringify(config),
          );
          assert.match(out, /^nested pid 1$/m, "the container has its own PID namespace");
          assert.match(out, /:memory:\/.*smoke/, "runc made the container's memory cgroup inside the node");
          assert.match(out, /^overlay ok$/m, "containerd's snapshotter can mount overlays in /var/lib/containerd");
        },
      );
    } finally {
      for (const m of machines) await nodeSh(stateDir, ["destroy", m]).catch((e) => t.diagnostic(String(e)));
      await nodeSh(stateDir, ["bridge-down", bridge]).catch((e) => t.diagnostic(String(e)));
    }
    assert.deepEqual(leftovers(l), [], "nothing of the nodes is left on the host");
    fs.rmSync(work, { recursive: true, force: true });
  },
);

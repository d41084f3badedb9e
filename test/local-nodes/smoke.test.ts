// The real thing, where the machine allows it: two local nodes made by the very command texts the
// LocalNodes resources run, on a bridge of their own, reached over SSH with a throwaway key and
// pinned host keys, pinging each other and running a nested container with runc; one is stopped
// and brought back the way `pulumi up` does after a host reboot; then both are destroyed, and
// nothing of them may be left on the host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { freeNetwork, localNodesUnavailable, nodeSh, runCommandText } from "../../cli/local-nodes-host";
import * as local from "../../lib/local-nodes";
import { processesMatching } from "./host-processes";

const run = promisify(execFile);
const CACHE = path.join(process.env.KUBELAB_CACHE ?? path.join(os.homedir(), ".cache", "kubelab"), "local-nodes");

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

interface Lab {
  work: string;
  stateDir: string;
  key: string;
  bridge: string;
  machines: string[];
  plan: local.LocalNetworkPlan;
  /** What the nodes held while running: checked to be gone at the end. */
  veths: string[];
  cgroups: string[];
}

function newLab(): Lab {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-smoke-"));
  const key = path.join(work, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kubelab-smoke", "-f", key]);
  const suffix = String(process.pid % 100000);
  const machines = [`smoke${suffix}-a`, `smoke${suffix}-b`];
  const plan = local.planLocalNetwork(freeNetwork(), machines);
  return {
    work,
    stateDir: path.join(work, "nodes"),
    key,
    bridge: `kls${suffix}`,
    machines,
    plan,
    veths: [],
    cgroups: [],
  };
}

/** The node resource's command text, as LocalNodes builds it, run as the command provider would. */
async function nodeUp(lab: Lab, machine: string): Promise<local.StartResult> {
  const status = local.parseStatus(await nodeSh(lab.stateDir, ["status", machine, "--json"]));
  const address = lab.plan.addresses.get(machine) as string;
  const text = local.nodeUpCommand({
    machine,
    hostname: machine,
    address,
    plan: lab.plan,
    bridge: lab.bridge,
    user: "kube",
    memory: "1G",
    release: local.LOCAL_DEFAULTS.release,
    token: local.startToken(status, new Date()),
  });
  const out = await runCommandText(text, lab.stateDir, fs.readFileSync(`${lab.key}.pub`, "utf8"));
  return local.parseStartOutput(machine, address, out);
}

function sshTo(lab: Lab, nodes: local.StartResult[]) {
  const knownHosts = path.join(lab.work, "known_hosts");
  fs.writeFileSync(knownHosts, nodes.map((s) => `${s.address} ${s.hostKey}\n`).join(""));
  const opts = ["-i", lab.key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"];
  opts.push("-o", `UserKnownHostsFile=${knownHosts}`, "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR");
  return async (address: string, script: string, input: string | Buffer = "") => {
    const child = run("ssh", [...opts, `kube@${address}`, script], { maxBuffer: 1 << 22 });
    child.child.stdin?.end(input);
    return (await child).stdout.trim();
  };
}

/** Everything of the lab still on the host: processes, mounts, links, cgroups, state. */
function leftovers(lab: Lab): string[] {
  const found = processesMatching((cmdline) => lab.machines.some((m) => cmdline.includes(`--machine=${m} `)));
  if (fs.readFileSync("/proc/self/mounts", "utf8").includes(lab.stateDir)) found.push(`mount under ${lab.stateDir}`);
  found.push(...[lab.bridge, ...lab.veths].filter((l) => fs.existsSync(`/sys/class/net/${l}`)).map((l) => `link ${l}`));
  found.push(...lab.cgroups.filter((dir) => fs.existsSync(dir)).map((dir) => `cgroup ${dir}`));
  found.push(...lab.machines.filter((m) => fs.existsSync(path.join(lab.stateDir, m))).map((m) => `state of ${m}`));
  return found;
}

type Ssh = ReturnType<typeof sshTo>;

async function checkNestedContainer(ssh: Ssh, address: string): Promise<void> {
  const debs = nestedContainerDebs();
  await ssh(address, "cat >/tmp/runc.deb", fs.readFileSync(debs.runc));
  await ssh(address, "cat >/tmp/busybox.deb", fs.readFileSync(debs.busybox));
  const bundle = "/var/lib/containerd/smoke";
  const spec = await ssh(
    address,
    `set -e; sudo -n dpkg -i /tmp/runc.deb >/dev/null; sudo -n rm -rf ${bundle}; sudo -n mkdir -p ${bundle}/rootfs/bin
     sudo -n dpkg-deb -x /tmp/busybox.deb ${bundle}/x; sudo -n cp ${bundle}/x/bin/busybox ${bundle}/rootfs/bin/
     cd ${bundle} && sudo -n runc spec && cat config.json`,
  );
  const config = JSON.parse(spec);
  config.process.terminal = false;
  config.process.args = ["/bin/busybox", "sh", "-c", "echo nested pid $$; /bin/busybox cat /proc/self/cgroup"];
  const out = await ssh(
    address,
    `set -e; cd ${bundle}; sudo -n tee config.json >/dev/null; sudo -n runc run smoke
     sudo -n mkdir l u w m && sudo -n mount -t overlay overlay -o lowerdir=l,upperdir=u,workdir=w m
     sudo -n umount m && echo overlay ok; cd / && sudo -n rm -rf ${bundle}`,
    JSON.stringify(config),
  );
  assert.match(out, /^nested pid 1$/m, "the container has its own PID namespace");
  assert.match(out, /:memory:\/.*smoke/, "runc made the container's memory cgroup inside the node");
  assert.match(out, /^overlay ok$/m, "containerd's snapshotter can mount overlays in /var/lib/containerd");
}

test(
  "local nodes: boot, SSH with pinned keys, ping, nest a container, come back after a stop, leave nothing",
  { timeout: 900_000 },
  async (t) => {
    const unavailable = localNodesUnavailable();
    if (unavailable) {
      t.skip(unavailable);
      return;
    }
    const lab = newLab();
    try {
      await runCommandText(local.bridgeUpCommand(lab.bridge, lab.plan.bridgeCidr), lab.stateDir);
      // Together, as Pulumi creates them: a cold rootfs is built once, under node.sh's lock.
      const nodes = await Promise.all(lab.machines.map((m) => nodeUp(lab, m)));
      for (const m of lab.machines) {
        lab.veths.push(fs.readFileSync(path.join(lab.stateDir, m, "veth"), "utf8").trim());
        lab.cgroups.push(
          ...fs
            .readFileSync(path.join(lab.stateDir, m, "cgroups"), "utf8")
            .trim()
            .split("\n"),
        );
      }
      const ssh = sshTo(lab, nodes);
      const [a, b] = nodes;
      for (const node of nodes) {
        assert.equal(
          await ssh(node.address, "timeout 60 systemctl is-system-running --wait || true"),
          "running",
          node.name,
        );
        assert.equal(await ssh(node.address, "sudo -n id -u"), "0", `passwordless sudo on ${node.name}`);
      }
      assert.equal(await ssh(a.address, `ping -c 1 -W 2 ${b.address} >/dev/null && echo ok`), "ok", "a reaches b");
      assert.equal(await ssh(b.address, `ping -c 1 -W 2 ${a.address} >/dev/null && echo ok`), "ok", "b reaches a");
      await checkNestedContainer(ssh, a.address);

      // As after a host reboot: the node is down, `pulumi up` runs the same text with a new token.
      await ssh(b.address, "echo kept | sudo -n tee /var/tmp/disk-check >/dev/null");
      await nodeSh(lab.stateDir, ["stop", b.name]);
      const again = await nodeUp(lab, b.name);
      assert.equal(again.hostKey, b.hostKey, "the same node, with its own host key");
      assert.equal(await ssh(b.address, "cat /var/tmp/disk-check"), "kept", "its disk survived the stop");
    } finally {
      for (const m of lab.machines) {
        await runCommandText(local.nodeDestroyCommand(m), lab.stateDir).catch((e) => t.diagnostic(String(e)));
      }
      await runCommandText(local.bridgeDownCommand(lab.bridge), lab.stateDir).catch((e) => t.diagnostic(String(e)));
    }
    assert.deepEqual(leftovers(lab), [], "nothing of the nodes is left on the host");
    fs.rmSync(lab.work, { recursive: true, force: true });
  },
);

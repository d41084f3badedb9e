import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ROOT, kubelab } from "./kubelab-run";

const CLEAN_APP = path.join(ROOT, "test", "fixtures", "policy", "clean-app.yaml");
const PLAN_ARGS = ["--pod-cidr", "10.244.0.0/16", "--service-cidr", "10.96.0.0/12", "--node-cidr", "192.168.64.0/24"];

/** Runs `npm run check` the way the npm script does (the compiled `kubelab check`), in `cwd`. */
function check(args: string[], cwd: string) {
  return kubelab(["check", ...args], { cwd });
}

const temps: string[] = [];
after(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-check-"));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const SERVICE_WITHOUT_PODS = `apiVersion: v1
kind: Service
metadata:
  name: vote
  namespace: vote
spec:
  selector: { app: vote }
  ports: [{ port: 80, nodePort: 8080 }]
  type: NodePort
`;

function serviceObject() {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "vote", namespace: "vote" },
    spec: { selector: { app: "vote" }, ports: [{ port: 80 }] },
  };
}

const BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n  namespace: vote\n";

test("a broken YAML file is reported with its path and line and the valid file is still checked", () => {
  const dir = tempTree({ "manifests/broken.yaml": BROKEN, "manifests/nested/service.yml": SERVICE_WITHOUT_PODS });
  const { code, stdout } = check(["manifests"], dir);
  assert.equal(code, 1);
  assert.match(stdout, /^manifests\/broken\.yaml\n {2}error {4}\[parse-error\] line \d+: invalid YAML: /m);
  assert.match(stdout, /^manifests\/nested\/service\.yml\n/m);
  assert.match(stdout, /\[service-no-endpoints\] Service\/vote\/vote: selector app=vote matches no pod template/);
  assert.match(stdout, /\[nodeport-range\] Service\/vote\/vote: nodePort 8080 of Service\/vote\/vote is outside/);
  assert.match(stdout, /1 parse error\n$/);
});

test("--format json prints the DESIGN §4 violations beside the parse errors", () => {
  const dir = tempTree({ "broken.yaml": BROKEN, "service.json": JSON.stringify(serviceObject()) });
  const { code, stdout } = check([".", "--format", "json"], dir);
  assert.equal(code, 1);
  const report = JSON.parse(stdout);
  assert.deepEqual(Object.keys(report), ["violations", "errors"]);
  assert.ok(report.violations.length > 0);
  for (const v of report.violations) {
    assert.deepEqual(Object.keys(v), ["rule", "severity", "resource", "file", "message"]);
    assert.equal(v.file, "service.json");
  }
  assert.ok(report.violations.some((v: { rule: string }) => v.rule === "service-no-endpoints"));
  assert.equal(report.errors.length, 1);
  assert.deepEqual(Object.keys(report.errors[0]), ["file", "line", "message"]);
  assert.equal(report.errors[0].file, "broken.yaml");
  assert.equal(typeof report.errors[0].line, "number");
});

test("exit 0 when nothing is an error: a clean app, and warnings alone", () => {
  const clean = check([CLEAN_APP, ...PLAN_ARGS, "--cni", "calico"], ROOT);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.equal(clean.stdout, "no violations\n");
  const dir = tempTree({ "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: vote\n" });
  const warned = check(["ns.yaml"], dir);
  assert.equal(warned.code, 0);
  assert.match(warned.stdout, /warning +\[namespace-pss-missing\] Namespace\/vote\/vote/);
});

test("plan options feed the plan rules", () => {
  const overlap = check([CLEAN_APP, "--pod-cidr", "10.96.0.0/16", "--service-cidr", "10.96.0.0/12"], ROOT);
  assert.equal(overlap.code, 1);
  assert.match(overlap.stdout, /\[cidr-overlap\] NetworkPlan\/kubelab\/podCidr: podCidr 10.96.0.0\/16 overlaps/);
  const flannel = check([CLEAN_APP, "--cni", "flannel"], ROOT);
  assert.match(flannel.stdout, /\[networkpolicy-unenforced\] NetworkPolicy\/vote\/redis-from-vote/);
  const narrow = check([CLEAN_APP, "--node-port-range", "31000-32000"], ROOT);
  assert.match(narrow.stdout, /nodePort 30004 of Service\/vote\/vote is outside the node port range 31000-32000/);
});

test("exit 2 for bad arguments or nothing to check", () => {
  const dir = tempTree({ "README.txt": "not a manifest", "values.yaml": "replicas: 3\n" });
  const cases: [string[], RegExp][] = [
    [["--pod-cidr", "10.244.0.0", "."], /--pod-cidr <cidr>' argument '10.244.0.0' is invalid/],
    [["--node-port-range", "32767-30000", "."], /--node-port-range/],
    [["--format", "xml", "."], /Allowed choices are text, json/],
    [["missing-folder"], /missing-folder: no such file or folder/],
    [[], /missing required argument 'paths'/],
    [["."], /nothing to check: no Kubernetes objects found in \./],
  ];
  for (const [args, message] of cases) {
    const { code, stderr, stdout } = check(args, dir);
    assert.equal(code, 2, `${args.join(" ")}: ${stdout}`);
    assert.match(stderr, message);
  }
});

function aliasBomb(): string {
  const levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < 9; i++)
    levels.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: vote}\ndata:\n${levels.map((l) => `  ${l}`).join("\n")}\n`;
}

test("a YAML alias bomb is an entry in errors (text and JSON) and the other files are still checked", () => {
  const dir = tempTree({ "bomb.yaml": aliasBomb(), "service.yaml": SERVICE_WITHOUT_PODS });
  const text = check(["."], dir);
  assert.equal(text.code, 1, text.stderr);
  assert.equal(text.stderr, "");
  assert.match(text.stdout, /^bomb\.yaml\n {2}error {4}\[parse-error\] line 1: invalid YAML: .*alias/im);
  assert.match(text.stdout, /\[service-no-endpoints\] Service\/vote\/vote/);
  const json = check([".", "--format", "json"], dir);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.deepEqual(
    report.errors.map((e: { file: string; line: number }) => `${e.file}:${e.line}`),
    ["bomb.yaml:1"],
  );
  assert.ok(report.violations.some((v: { file: string }) => v.file === "service.yaml"));
});

test("a file that cannot be read is an entry in errors; with nothing readable the exit is 2", async () => {
  const dir = tempTree({ "service.yaml": SERVICE_WITHOUT_PODS });
  // A socket cannot be opened as a file, whoever runs the tests (root reads any mode bits).
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(dir, "socket.yaml"), resolve));
  try {
    const both = check(["service.yaml", "socket.yaml", "--format", "json"], dir);
    assert.equal(both.code, 1);
    assert.match(JSON.parse(both.stdout).errors[0].message, /^cannot read: /);
    const alone = check(["socket.yaml"], dir);
    assert.equal(alone.code, 2);
    assert.match(alone.stdout, /socket\.yaml\n {2}error {4}\[parse-error\] line 1: cannot read: /);
  } finally {
    server.close();
  }
});

test("values of the wrong shape are reported as such, not read as absent", () => {
  const service = (spec: string) =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: vote}\nspec:\n${spec}`;
  const dir = tempTree({
    "ports.yaml": service('  selector: {app: web}\n  ports: "x"\n'),
    "selector.yaml": service("  selector: 5\n  ports: [{port: 80}]\n"),
  });
  const { code, stdout } = check(["."], dir);
  assert.equal(code, 1);
  assert.match(stdout, /\[service-port-missing\] Service\/vote\/web: spec\.ports is a string \("x"\), not a list/);
  assert.doesNotMatch(stdout, /has no spec\.ports/);
  assert.match(stdout, /\[service-no-endpoints\] Service\/vote\/web: spec\.selector is a number \(5\), not a map/);
  assert.doesNotMatch(stdout, /has no selector/);
});

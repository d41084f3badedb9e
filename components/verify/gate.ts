// The network check step of `pulumi up` (NetworkCheck's local Command runs this with tsx): collects
// on the first control plane, judges, and in enforce mode exits 1 on a broken network. Pulumi keeps
// no record of a failed create, so the next `up` checks again; a passing check is recorded and not
// repeated until the nodes, Services or ranges change.
// usage: gate.ts SETTINGS_JSON (the stack output networkCheck); the SSH settings in KUBELAB_* env.
// stdout: the observations (only when the step succeeds); the report and progress go to stderr.
import { Runner, collectOverSsh, spawnRunner } from "./collect";
import { evaluate, formatReport } from "./evaluate";
import { NetworkCheckSettings, planOf } from "./targets";

export interface GateIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  run: Runner;
}

function readSettings(text: string | undefined): NetworkCheckSettings {
  const settings = JSON.parse(text ?? "") as NetworkCheckSettings;
  if (!settings || !Array.isArray(settings.nodes) || typeof settings.podCidr !== "string")
    throw new Error("expected the network check settings (JSON) as the only argument");
  return settings;
}

export function runGate(argv: string[], io: GateIo): number {
  let settings: NetworkCheckSettings;
  try {
    settings = readSettings(argv[0]);
  } catch (error) {
    io.stderr(`network check: ${(error as Error).message}\n`);
    return 2;
  }
  const collected = collectOverSsh(settings, io.env, io.run);
  if ("error" in collected) {
    io.stderr(`network check: ${collected.error}\n`);
    return 2;
  }
  const report = evaluate(collected.observations, planOf(settings));
  io.stderr(`${formatReport(report)}\n`);
  if (!report.ok && settings.mode === "enforce") {
    io.stderr(
      [
        "the cluster does not satisfy the Kubernetes networking model (evidence above).",
        "Fix the network and run `pulumi up` again: a failed check is not recorded, so it runs again;",
        "`npm run verify` re-checks without deploying; kubelab:verify.mode report records failures without failing.",
        "",
      ].join("\n"),
    );
    return 1;
  }
  io.stdout(`${JSON.stringify(collected.observations)}\n`);
  return 0;
}

if (require.main === module) {
  process.exitCode = runGate(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    run: spawnRunner,
  });
}

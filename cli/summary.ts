// After `npm run up`: where the app answers and whether the networking model holds, from the
// stack's outputs (none of them secret). usage: summary.ts STACK (the backend from the environment)
import { spawnSync } from "child_process";
import { formatReport, NetworkReport } from "../components/verify/evaluate";

export function summary(outputs: Record<string, unknown>): string {
  const lines: string[] = [];
  const urls = (outputs.appUrls ?? {}) as Record<string, string[]>;
  for (const [frontend, list] of Object.entries(urls)) lines.push(`${frontend}: ${list.join("  ")}`);
  const report = outputs.networkReport as NetworkReport | undefined;
  if (report) lines.push(formatReport(report));
  for (const warning of (outputs.warnings ?? []) as string[]) lines.push(`warning: ${warning}`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

if (require.main === module) {
  const stack = process.argv[2];
  const read = spawnSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8" });
  if (read.status !== 0) {
    process.stderr.write(read.stderr);
    process.exit(1);
  }
  process.stdout.write(summary(JSON.parse(read.stdout) as Record<string, unknown>));
}

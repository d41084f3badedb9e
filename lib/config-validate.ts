// One round of validation: every config section is parsed on its own, so a schema mistake in one
// section does not hide the cross-field problems of the others; a cross-field check runs whenever
// every section it reads parsed.
import { z } from "zod";
import { ConfigCheck, ConfigProblem } from "./config-checks";
import { CONFIG_KEYS, RawLabConfig, rawConfigSchema } from "./config-schema";

export type ConfigSection = keyof RawLabConfig;

function valueAt(root: unknown, keyPath: PropertyKey[]): unknown {
  return keyPath.reduce<unknown>(
    (node, key) => (node && typeof node === "object" ? (node as never)[key] : undefined),
    root,
  );
}

function keyPathText(keyPath: PropertyKey[]): string {
  return keyPath.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("");
}

const unknownKey = (key: string): ConfigProblem => ({
  key,
  value: undefined,
  message: "unknown key; check the spelling against the config reference in README.md",
});

/** zod issues of one section as problems naming the full key (`kubelab:network.podCidr`). */
export function schemaProblems(section: ConfigSection, value: unknown, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    const keyPath = [section, ...issue.path];
    if (issue.code === "unrecognized_keys")
      return unknownKey(`kubelab:${keyPathText(keyPath)}.${issue.keys.join(", ")}`);
    return {
      key: `kubelab:${keyPathText(keyPath)}`,
      value: valueAt(value, issue.path),
      message: issue.message,
    };
  });
}

export interface SectionResult {
  /** The sections that parsed, with their defaults applied. */
  parsed: Partial<RawLabConfig>;
  problems: ConfigProblem[];
}

/** Parses each `kubelab:` section on its own; unknown top-level keys are problems too. */
export function parseSections(raw: Record<string, unknown>): SectionResult {
  const parsed: Partial<RawLabConfig> = {};
  const problems: ConfigProblem[] = Object.keys(raw)
    .filter((key) => !(CONFIG_KEYS as string[]).includes(key))
    .map((key) => unknownKey(`kubelab:${key}`));
  for (const section of CONFIG_KEYS) {
    const result = rawConfigSchema.shape[section].safeParse(raw[section]);
    if (result.success) (parsed as Record<string, unknown>)[section] = result.data;
    else problems.push(...schemaProblems(section, raw[section], result.error));
  }
  return { parsed, problems };
}

/** Every one of `checks` whose sections all parsed. */
export function crossFieldProblems(parsed: Partial<RawLabConfig>, checks: ConfigCheck[]): ConfigProblem[] {
  return checks
    .filter(({ reads }) => reads.every((section) => parsed[section] !== undefined))
    .flatMap(({ check }) => check(parsed as RawLabConfig));
}

export function complete(parsed: Partial<RawLabConfig>): parsed is RawLabConfig {
  return CONFIG_KEYS.every((section) => parsed[section] !== undefined);
}

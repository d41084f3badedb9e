// `kubelab check --format sarif`: SARIF 2.1.0, the log code-scanning UIs read. Every rule is
// described once in the driver; each finding points at the file and the line its object's document
// starts on (code scanning shows a result only with a line), and names the object as a logical
// location. Unparsable files are results of the rule `parse-error`.
import * as path from "path";
import { pathToFileURL } from "url";
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import { ParseError, RULES, SourcedObject, Violation, resourceOf, sortViolations } from "../policy";

const SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT = "%SRCROOT%";
const PARSE_ERROR: ReportingDescriptor = {
  id: "parse-error",
  name: "ParseError",
  shortDescription: { text: "The file is valid YAML or JSON." },
  fullDescription: { text: "A file that cannot be read is reported with its line; the other files are still checked." },
  defaultConfiguration: { level: "error" },
};

export interface SarifInput {
  violations: Violation[];
  errors: ParseError[];
  /** The objects checked: each finding's line is where its object's document starts. */
  objects: SourcedObject[];
  /** What relative file names are relative to. */
  cwd: string;
  version: string;
}

function ruleName(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_, _dash, c: string) => c.toUpperCase());
}

function descriptors(): ReportingDescriptor[] {
  const rules = RULES.map((r): ReportingDescriptor => ({
    id: r.name,
    name: ruleName(r.name),
    shortDescription: { text: r.summary },
    fullDescription: { text: `${r.summary} Protects: ${r.protects}.` },
    defaultConfiguration: { level: r.severity },
  }));
  return [...rules, PARSE_ERROR];
}

function uri(file: string): { uri: string; uriBaseId?: string } {
  if (path.isAbsolute(file)) return { uri: pathToFileURL(file).href };
  return { uri: encodeURI(file.split(path.sep).join("/")), uriBaseId: SRCROOT };
}

function location(file: string | undefined, line: number | undefined, resource?: string): Location {
  const logical = resource ? { logicalLocations: [{ fullyQualifiedName: resource, kind: "resource" }] } : {};
  if (file === undefined) return logical;
  return { physicalLocation: { artifactLocation: uri(file), region: { startLine: line ?? 1 } }, ...logical };
}

export function formatSarif(input: SarifInput): string {
  const rules = descriptors();
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const lines = new Map<string, number>();
  for (const o of input.objects) {
    const key = `${o.file}\0${resourceOf(o.object)}`;
    if (o.line !== undefined && !lines.has(key)) lines.set(key, o.line);
  }
  const results: Result[] = [
    ...input.errors.map((e): Result => ({
      ruleId: PARSE_ERROR.id,
      ruleIndex: index.get(PARSE_ERROR.id),
      level: "error",
      message: { text: e.message },
      locations: [location(e.file, e.line)],
    })),
    ...sortViolations(input.violations).map((v): Result => ({
      ruleId: v.rule,
      ...(index.has(v.rule) ? { ruleIndex: index.get(v.rule) } : {}),
      level: v.severity,
      message: { text: `${v.resource}: ${v.message}` },
      locations: [location(v.file, lines.get(`${v.file}\0${v.resource}`), v.resource)],
    })),
  ];
  const log: Log = {
    $schema: SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "kubelab", version: input.version, rules } },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(input.cwd + path.sep).href } },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

// Text -> Kubernetes objects for `npm run check`: multi-document YAML, JSON, and `List` kinds expanded.
// Pure (no file system) so the benchmark and tests parse exactly what the CLI parses.
import YAML from "yaml";
import { rec, str } from "./k8s";
import { ParseError } from "./format";
import { K8sObject, SourcedObject } from "./types";

export interface ParsedManifests {
  objects: SourcedObject[];
  errors: ParseError[];
  /** Documents that are YAML but not Kubernetes objects (no apiVersion and no kind), e.g. Helm values. */
  skipped: number;
}

/** `kubectl get -o yaml` prints `kind: List`; typed lists (`DeploymentList`) leave kind off their items. */
function expand(value: Record<string, unknown>): K8sObject[] {
  const kind = str(value.kind);
  if (!kind?.endsWith("List") || !Array.isArray(value.items)) return [value as K8sObject];
  const itemKind = kind === "List" ? undefined : kind.slice(0, -"List".length);
  return value.items.flatMap((item) => {
    const r = rec(item);
    if (!r) return [];
    return expand({ ...(itemKind ? { apiVersion: value.apiVersion, kind: itemKind } : {}), ...r });
  });
}

/** The parser's first line, without the position it repeats (the line is reported on its own). */
function firstLine(message: string): string {
  return message
    .split("\n")[0]
    .replace(/:$/, "")
    .replace(/ at line \d+, column (\d+)$/, " (column $1)");
}

function lineOfOffset(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

function parseJson(text: string, file: string): { values: unknown[]; errors: ParseError[] } {
  try {
    const value: unknown = JSON.parse(text);
    return { values: Array.isArray(value) ? value : [value], errors: [] };
  } catch (error) {
    const message = (error as Error).message;
    // The YAML parser locates most JSON mistakes; fall back to the offset Node sometimes reports.
    const yamlError = YAML.parseAllDocuments(text).flatMap((d) => (d as YAML.Document).errors)[0];
    const offset = /position (\d+)/.exec(message);
    const line = yamlError?.linePos?.[0].line ?? (offset ? lineOfOffset(text, Number(offset[1])) : 1);
    return { values: [], errors: [{ file, line, message: `invalid JSON: ${firstLine(message)}` }] };
  }
}

function parseYaml(text: string, file: string): { values: unknown[]; errors: ParseError[] } {
  const values: unknown[] = [];
  const errors: ParseError[] = [];
  for (const doc of YAML.parseAllDocuments(text) as YAML.Document[]) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        errors.push({ file, line: e.linePos?.[0].line ?? 1, message: `invalid YAML: ${firstLine(e.message)}` });
      }
      continue;
    }
    values.push(doc.toJS({ maxAliasCount: 1000 }));
  }
  return { values, errors };
}

/** Parses one file's text; a document with a syntax error is reported and the other documents are kept. */
export function parseManifests(text: string, file: string): ParsedManifests {
  const parsed = file.toLowerCase().endsWith(".json") ? parseJson(text, file) : parseYaml(text, file);
  const objects: SourcedObject[] = [];
  let skipped = 0;
  for (const value of parsed.values) {
    const r = rec(value);
    if (value === null || value === undefined) continue;
    if (!r || (r.apiVersion === undefined && r.kind === undefined)) {
      skipped++;
      continue;
    }
    for (const object of expand(r)) objects.push({ object, file });
  }
  return { objects, errors: parsed.errors, skipped };
}

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

/** Whether a value reaches itself: an alias inside the node it names, which no Kubernetes object can be. */
function cyclic(value: unknown, ancestors = new Set<object>(), acyclic = new Set<object>()): boolean {
  if (value === null || typeof value !== "object" || acyclic.has(value)) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const found = Object.values(value).some((child) => cyclic(child, ancestors, acyclic));
  ancestors.delete(value);
  // Aliases share nodes: each shared node is walked once.
  if (!found) acyclic.add(value);
  return found;
}

/**
 * One document as plain data. Converting can throw where parsing did not: an alias to an anchor
 * defined later, or too many aliases (the parser's guard against "billion laughs" documents).
 */
function documentValue(doc: YAML.Document): { value?: unknown; problem?: string } {
  try {
    const value = doc.toJS({ maxAliasCount: 1000 });
    if (cyclic(value)) return { problem: "an alias refers to a node that contains it, so the document never ends" };
    return { value };
  } catch (error) {
    return { problem: firstLine((error as Error).message) };
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
    const { value, problem } = documentValue(doc);
    if (problem === undefined) values.push(value);
    else
      errors.push({
        file,
        line: lineOfOffset(text, doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0),
        message: `invalid YAML: ${problem}`,
      });
  }
  return { values, errors };
}

function parse(text: string, file: string): { values: unknown[]; errors: ParseError[] } {
  try {
    return file.toLowerCase().endsWith(".json") ? parseJson(text, file) : parseYaml(text, file);
  } catch (error) {
    // Whatever the parser itself trips over (nesting deep enough to exhaust the stack) is this file's problem only.
    return { values: [], errors: [{ file, line: 1, message: `unreadable: ${firstLine((error as Error).message)}` }] };
  }
}

/**
 * Parses one file's text; a document with a syntax error is reported and the other documents are
 * kept. Never throws: every problem with the text becomes an entry in `errors`.
 */
export function parseManifests(text: string, file: string): ParsedManifests {
  const parsed = parse(text, file);
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

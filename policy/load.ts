// Text -> Kubernetes objects for `kubelab check`: multi-document YAML, JSON, and `List` kinds
// expanded, each object with the line its document starts on. Pure (no file system) so the
// benchmark and tests parse exactly what the CLI parses.
import { rec, str } from "./k8s";
import { ParseError } from "./format";
import { K8sObject, SourcedObject } from "./types";
import { Documents, firstLine, lineIndex, readDocuments, yamlErrorLine } from "./yaml-read";

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

function parseJson(text: string, file: string): Documents {
  try {
    const value: unknown = JSON.parse(text);
    const values = Array.isArray(value) ? value : [value];
    return { values, lines: values.map(() => 1), errors: [] };
  } catch (error) {
    const message = (error as Error).message;
    // The YAML parser locates most JSON mistakes; fall back to the offset Node sometimes reports.
    const offset = /position (\d+)/.exec(message);
    const line = yamlErrorLine(text) ?? (offset ? lineIndex(text)(Number(offset[1])) : 1);
    return { values: [], lines: [], errors: [{ file, line, message: `invalid JSON: ${firstLine(message)}` }] };
  }
}

function parse(text: string, file: string): Documents {
  try {
    if (file.toLowerCase().endsWith(".json")) return parseJson(text, file);
    return readDocuments(text, file);
  } catch (error) {
    // Whatever the parser itself trips over (nesting deep enough to exhaust the stack) is this file's problem only.
    const errors = [{ file, line: 1, message: `unreadable: ${firstLine((error as Error).message)}` }];
    return { values: [], lines: [], errors };
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
  parsed.values.forEach((value, i) => {
    const r = rec(value);
    if (value === null || value === undefined) return;
    if (!r || (r.apiVersion === undefined && r.kind === undefined)) {
      skipped++;
      return;
    }
    for (const object of expand(r)) objects.push({ object, file, line: parsed.lines[i] });
  });
  return { objects, errors: parsed.errors, skipped };
}

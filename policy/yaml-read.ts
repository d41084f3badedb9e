// Two readers of multi-document YAML with the same result. js-yaml reads about ten times faster
// than `yaml` (10,000 objects: about 0.4 s against 4.5 s on 2 cores), so every document is read
// with it first. A document it refuses is read again by `yaml`, whose messages and lines the
// reports show; so is one whose aliases multiply it or make it contain itself (js-yaml sets no
// limit on aliases, so a "billion laughs" document would reach the rules), which `yaml` refuses.
// `yaml` is loaded only then: most runs never pay for it.
import * as jsyaml from "js-yaml";
import { FAILSAFE_SCHEMA, Type, loadAll } from "js-yaml";
import type { Document } from "yaml";
import type { ParseError } from "./format";

export interface Documents {
  values: unknown[];
  /** 1-based line where each value's document starts (its first line that is not a comment). */
  lines: number[];
  errors: ParseError[];
}

/** 1-based line of an offset: binary search over the line starts, found in one pass. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) starts.push(at + 1);
  return (offset) => {
    let [low, high] = [0, starts.length - 1];
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

/** The parser's first line, without the position it repeats (the line is reported on its own). */
export function firstLine(message: string): string {
  return message
    .split("\n")[0]
    .replace(/:$/, "")
    .replace(/ at line \d+, column (\d+)$/, " (column $1)");
}

// YAML 1.2's core schema ints, as `yaml` reads them: js-yaml would also take 0b101, -0x1F and +0o7.
const coreInt = new Type("tag:yaml.org,2002:int", {
  kind: "scalar",
  resolve: (data: string) => /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(data),
  construct: (data: string) =>
    data.startsWith("0o") ? parseInt(data.slice(2), 8) : data.startsWith("0x") ? parseInt(data, 16) : Number(data),
  predicate: (value: unknown) => Number.isInteger(value),
});
// js-yaml exports its built-in types; @types/js-yaml does not declare them.
const types = (jsyaml as unknown as { types: Record<"null" | "bool" | "float", Type> }).types;
const SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [types.null, types.bool, coreInt, types.float] });

/** An anchor (`&name` after a space, a flow indicator or at a line start): its aliases are counted. */
const ANCHOR = /(?:^|[\s,[\]{}])&[^\s,[\]{}]/;
/** `---` or `...` at the start of a line: they open and close documents. */
const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
/** The first line with content: neither blank, nor a comment, nor a directive (`%YAML`). */
const CONTENT = /^[ \t]*[^\s#%]/gm;

interface Segment {
  /** The document's text: from its `---` (when it has one) to the next marker. */
  from: number;
  to: number;
  /** Where the document starts; undefined for text before the first marker that holds no document. */
  line?: number;
}

/** The documents of `text`, from its markers alone. */
function segments(text: string, lineAt: (offset: number) => number): Segment[] {
  const out: Segment[] = [];
  const firstContent = (from: number, to: number): number | undefined => {
    CONTENT.lastIndex = from;
    const found = CONTENT.exec(text);
    return found && found.index < to ? lineAt(found.index + found[0].length - 1) : undefined;
  };
  // The text before the first marker holds a document only if it has content.
  let [from, after, opened] = [0, 0, false];
  for (const marker of [...text.matchAll(MARKER), undefined]) {
    const to = marker?.index ?? text.length;
    // `--- value` carries its content on the marker line; an empty document starts on its marker.
    const eol = text.indexOf("\n", after);
    const inline = opened && /^[ \t]+[^\s#]/.test(text.slice(after, eol < 0 ? text.length : eol));
    const line = inline ? lineAt(from) : (firstContent(after, to) ?? (opened ? lineAt(from) : undefined));
    if (line !== undefined) out.push({ from, to, line });
    if (!marker) break;
    opened = marker[0] === "---";
    // A `---` belongs to the document it opens; a `...` to none.
    [from, after] = [opened ? marker.index : marker.index + 3, marker.index + 3];
  }
  return out;
}

/** Nodes that aliases add to a document read by `yaml`, before its alias limit refuses it. */
const ALIAS_GROWTH = 1000;

/**
 * How many nodes aliases add to `value`: its size as a tree (a shared node counted wherever it is
 * reached) less its distinct nodes. Infinity when a node contains itself. Each shared node is
 * sized once, so an alias bomb costs no more to measure than to read.
 */
function aliasGrowth(value: unknown): number {
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  let distinct = 0;
  const size = (node: unknown): number => {
    if (node === null || typeof node !== "object") return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) return Infinity;
    open.add(node);
    distinct++;
    let total = 1;
    for (const child of Object.values(node)) {
      if (child === null || typeof child !== "object") distinct++;
      total += size(child);
    }
    open.delete(node);
    sizes.set(node, total);
    return total;
  };
  const total = size(value);
  return total - Math.max(distinct, 1);
}

/** js-yaml's reading of one document, or undefined when it is for `yaml` to read. */
function fastDocument(text: string): { value: unknown } | undefined {
  let values: unknown[];
  try {
    values = loadAll(text, undefined, { schema: SCHEMA });
  } catch {
    return undefined;
  }
  if (values.length !== 1) return undefined;
  if (ANCHOR.test(text) && !(aliasGrowth(values[0]) <= ALIAS_GROWTH)) return undefined;
  return { value: values[0] };
}

/**
 * Every document of `text`: each read by js-yaml, or by `yaml` (exactDocuments) when js-yaml
 * refuses it or its aliases multiply it, so one such document does not slow the rest of its file.
 */
export function readDocuments(text: string, file: string): Documents {
  // Directives (`%YAML 1.1`) change how the documents after them read: rare, left to `yaml` whole.
  if (/^%/m.test(text)) return exactDocuments(text, file);
  const lineAt = lineIndex(text);
  const out: Documents = { values: [], lines: [], errors: [] };
  for (const segment of segments(text, lineAt)) {
    const part = text.slice(segment.from, segment.to);
    const fast = fastDocument(part);
    if (fast) {
      out.values.push(fast.value);
      out.lines.push(segment.line as number);
      continue;
    }
    const shift = lineAt(segment.from) - 1;
    const exact = exactDocuments(part, file);
    out.values.push(...exact.values);
    out.lines.push(...exact.lines.map((line) => line + shift));
    out.errors.push(...exact.errors.map((e) => ({ ...e, line: e.line + shift })));
  }
  return out;
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
function documentValue(doc: Document): { value?: unknown; problem?: string } {
  try {
    const value = doc.toJS({ maxAliasCount: 1000 });
    if (cyclic(value)) return { problem: "an alias refers to a node that contains it, so the document never ends" };
    return { value };
  } catch (error) {
    return { problem: firstLine((error as Error).message) };
  }
}

/** `yaml`'s reading: every syntax error with its line; a broken document is left out, the others kept. */
export function exactDocuments(text: string, file: string): Documents {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require("yaml") as typeof import("yaml");
  const lineAt = lineIndex(text);
  const out: Documents = { values: [], lines: [], errors: [] };
  for (const doc of YAML.parseAllDocuments(text) as Document[]) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        out.errors.push({ file, line: e.linePos?.[0].line ?? 1, message: `invalid YAML: ${firstLine(e.message)}` });
      }
      continue;
    }
    const line = lineAt(doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0);
    const { value, problem } = documentValue(doc);
    if (problem === undefined) {
      out.values.push(value);
      out.lines.push(line);
    } else out.errors.push({ file, line, message: `invalid YAML: ${problem}` });
  }
  return out;
}

/** The first line `yaml` finds wrong in text that JSON.parse refused, if it finds one. */
export function yamlErrorLine(text: string): number | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const YAML = require("yaml") as typeof import("yaml");
  return YAML.parseAllDocuments(text).flatMap((d) => (d as Document).errors)[0]?.linePos?.[0].line;
}

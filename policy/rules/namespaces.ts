// Namespaces scope Service selection and DNS names (<service>.<namespace>.svc), and carry the
// Pod Security level that admission enforces.
import { CLUSTER_SCOPED, labelsOf, misshapen, nameOf, rec, shapeMessage, str, violation } from "../k8s";
import { ObjectRule } from "../object-index";
import { Violation } from "../types";

/** `default-namespace`: objects without a namespace land wherever the applier's context points. */
export const defaultNamespace: ObjectRule = (objects) => {
  const out: Violation[] = [];
  for (const source of objects) {
    const kind = str(source.object.kind);
    if (!kind || CLUSTER_SCOPED.has(kind) || kind.endsWith("List")) continue;
    const raw = rec(source.object.metadata)?.namespace;
    const namespace = str(raw);
    if (namespace && namespace !== "default") continue;
    const why = misshapen(raw, "string")
      ? `${shapeMessage("metadata.namespace", raw, "string")}, so the API server refuses it`
      : namespace
        ? "is in the default namespace"
        : "has no metadata.namespace, so it goes to the applier's current namespace (usually default)";
    out.push(
      violation(
        "default-namespace",
        "warning",
        source,
        `${why}; give the app its own namespace so its Services, DNS names and policies are scoped to it`,
      ),
    );
  }
  return out;
};

const PSS_LEVELS = new Set(["privileged", "baseline", "restricted"]);
const ENFORCE = "pod-security.kubernetes.io/enforce";

/** `namespace-pss-missing`: without an enforce label Pod Security Admission lets any pod in. */
export const namespacePssMissing: ObjectRule = (objects) => {
  const out: Violation[] = [];
  for (const source of objects) {
    if (source.object.kind !== "Namespace") continue;
    const labels = rec(source.object.metadata)?.labels;
    const level = labelsOf(source.object)[ENFORCE];
    if (level !== undefined && PSS_LEVELS.has(level)) continue;
    const what = misshapen(labels, "map")
      ? `${shapeMessage("metadata.labels", labels, "map")}, so it carries no ${ENFORCE} label`
      : level === undefined
        ? `has no ${ENFORCE} label, so Pod Security Admission applies the cluster default (privileged)`
        : `has ${ENFORCE}=${level}, which is not privileged, baseline or restricted`;
    out.push(
      violation(
        "namespace-pss-missing",
        "warning",
        source,
        `namespace ${nameOf(source.object)} ${what}; label it ${ENFORCE}: restricted (or baseline)`,
      ),
    );
  }
  return out;
};

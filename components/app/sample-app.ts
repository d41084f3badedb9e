// SampleApp: creates the voting app's objects (built by buildAppObjects) on the cluster.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { K8sObject } from "../../policy/types";
import { AppArgs, ClusterService, Frontend, buildAppObjects, clusterServicesOf, frontendsOf } from "./manifests";

export interface SampleAppArgs {
  /** What to deploy; policy checks on `buildAppObjects(app)` are the caller's, before construction. */
  app: AppArgs;
  /** The cluster's provider; every child is created through it. */
  provider: k8s.Provider;
  /**
   * On a full destroy the objects leave with the cluster (pass the kubeadm init step, whose delete
   * resets it), so Pulumi does not delete them one by one from a cluster being torn down.
   * @default undefined (objects are deleted individually)
   */
  deletedWith?: pulumi.Resource;
}

type Meta = k8s.types.input.meta.v1.ObjectMeta;
const KINDS = ["Namespace", "Secret", "NetworkPolicy", "Deployment", "Service"];

export class SampleApp extends pulumi.ComponentResource {
  /** The plain objects this component created, in creation order. */
  public readonly objects: K8sObject[];
  /** NodePort frontends: each answers on every node address. */
  public readonly frontends: Frontend[];
  /** ClusterIP services, for the in-cluster network check. */
  public readonly clusterServices: ClusterService[];

  constructor(name: string, args: SampleAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kubelab:app:SampleApp", name, {}, opts);
    this.objects = buildAppObjects(args.app);
    this.frontends = frontendsOf(this.objects);
    this.clusterServices = clusterServicesOf(this.objects);
    const unknown = this.objects.filter((o) => !KINDS.includes(o.kind ?? ""));
    if (unknown.length > 0) {
      throw new Error(`SampleApp cannot create ${unknown.map((o) => `${o.kind}/${o.metadata?.name}`).join(", ")}`);
    }

    const base = { parent: this, provider: args.provider, deletedWith: args.deletedWith };
    const child = (obj: K8sObject) => `${name}-${obj.kind?.toLowerCase()}-${obj.metadata?.name}`;
    const ofKind = (kind: string) => this.objects.filter((o) => o.kind === kind);

    // Children do not inherit the component's dependsOn: the namespace carries it (the pod network
    // must be Ready), and every other child waits for the namespace.
    const [namespaceObject] = ofKind("Namespace");
    const namespace = new k8s.core.v1.Namespace(
      child(namespaceObject),
      { metadata: namespaceObject.metadata as Meta },
      { ...base, dependsOn: opts?.dependsOn },
    );
    const inNamespace = { ...base, dependsOn: [namespace] };
    const secrets = ofKind("Secret").map(
      (o) =>
        new k8s.core.v1.Secret(
          child(o),
          {
            metadata: o.metadata as Meta,
            type: o.type as string,
            stringData: pulumi.secret(o.stringData as Record<string, string>),
          },
          inNamespace,
        ),
    );
    const policies = ofKind("NetworkPolicy").map(
      (o) =>
        new k8s.networking.v1.NetworkPolicy(
          child(o),
          { metadata: o.metadata as Meta, spec: o.spec as k8s.types.input.networking.v1.NetworkPolicySpec },
          inNamespace,
        ),
    );
    // Pods start only once their credentials exist and the policies already fence them in.
    for (const o of ofKind("Deployment")) {
      new k8s.apps.v1.Deployment(
        child(o),
        { metadata: o.metadata as Meta, spec: o.spec as k8s.types.input.apps.v1.DeploymentSpec },
        { ...base, dependsOn: [namespace, ...secrets, ...policies] },
      );
    }
    for (const o of ofKind("Service")) {
      new k8s.core.v1.Service(
        child(o),
        { metadata: o.metadata as Meta, spec: o.spec as k8s.types.input.core.v1.ServiceSpec },
        inNamespace,
      );
    }
    this.registerOutputs({ frontends: this.frontends, clusterServices: this.clusterServices });
  }
}

// Root filesystems (rootfs.sh) and image archives (the oci tool) as cached components.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { shortHash } from "./cache";
import { BuildContext, Component } from "./components";
import { ImageSpec, Rootfs } from "./images";
import { DEBIAN_SUITE, SCRIPTS } from "./versions";

const ROOTFS_SCRIPT = path.join(SCRIPTS, "rootfs.sh");
export const APP_DIR = path.join(SCRIPTS, "app");

function rootfsHash(): string {
  return shortHash(fs.readFileSync(ROOTFS_SCRIPT));
}

/** debootstrap once, then one layer per package set (static is cut from the net layer). */
export function rootfsComponents(ctx: BuildContext, used: Rootfs[]): Component[] {
  const hash = rootfsHash();
  const base: Component = {
    id: "rootfs-base",
    // Only the mirror shapes the base: the layers on top upgrade it to the current point release.
    key: `rootfs-base-${DEBIAN_SUITE}-${shortHash(ctx.mirror)}`,
    label: `debian ${DEBIAN_SUITE} minbase`,
    build: (tmp) => execFileSync(ROOTFS_SCRIPT, ["base", tmp, DEBIAN_SUITE, ctx.mirror], { stdio: "inherit" }),
  };
  const variants = [...new Set<Rootfs>(used.includes("static") ? ["net", ...used] : used)];
  const layers = variants
    .filter((r) => r !== "static")
    .map<Component>((r) => ({
      id: `rootfs-${r}`,
      key: `rootfs-${r}-${DEBIAN_SUITE}-${hash}`,
      label: `debian ${DEBIAN_SUITE} ${r} layer`,
      build: (tmp, dirs) =>
        execFileSync(ROOTFS_SCRIPT, [r, tmp, path.join(dirs["rootfs-base"], "rootfs.tar")], { stdio: "inherit" }),
    }));
  if (variants.includes("static")) {
    layers.push({
      id: "rootfs-static",
      key: `rootfs-static-${DEBIAN_SUITE}-${hash}`,
      label: "static layer (CA certificates, passwd)",
      build: (tmp, dirs) =>
        execFileSync(ROOTFS_SCRIPT, ["static", tmp, path.join(dirs["rootfs-net"], "layer.tar")], { stdio: "inherit" }),
    });
  }
  return [base, ...layers];
}

function appHash(): string {
  return shortHash(
    ...fs
      .readdirSync(APP_DIR)
      .sort()
      .map((f) => `${f}\n${fs.readFileSync(path.join(APP_DIR, f))}`),
  );
}

/** The cache key changes with the spec, the rootfs recipe and every input component's key. */
export function imageKey(spec: ImageSpec, inputKeys: string[]): string {
  const tag = spec.ref.slice(spec.ref.lastIndexOf(":") + 1);
  return `image-${spec.name}-${tag}-${shortHash(JSON.stringify(spec), ...inputKeys)}`;
}

/** Copies the image's files into a tree with directories 0755 (the tree's root becomes the image's /). */
function stageFiles(spec: ImageSpec, dirs: Record<string, string>, stage: string): void {
  fs.mkdirSync(stage, { mode: 0o755 });
  fs.chmodSync(stage, 0o755);
  for (const f of spec.files) {
    const from = f.component === "app" ? path.join(APP_DIR, f.file) : path.join(dirs[f.component], f.file);
    const to = path.join(stage, f.to);
    for (let d = path.dirname(to); d.startsWith(stage) && d !== stage; d = path.dirname(d)) {
      fs.mkdirSync(d, { recursive: true });
      fs.chmodSync(d, 0o755);
    }
    fs.copyFileSync(from, to);
    fs.chmodSync(to, f.to.endsWith(".py") ? 0o644 : 0o755);
  }
}

export function imageComponent(spec: ImageSpec, keys: Record<string, string>): Component {
  const inputs = [`rootfs-${spec.rootfs}`, ...new Set(spec.files.map((f) => f.component))];
  const inputKeys = inputs.map((id) => (id === "app" ? `app-${appHash()}` : keys[id]));
  return {
    id: `image-${spec.name}`,
    key: imageKey(spec, inputKeys),
    label: `image ${spec.ref}`,
    build: (tmp, dirs) => {
      const layers = [path.join(dirs[`rootfs-${spec.rootfs}`], "layer.tar")];
      if (spec.files.length > 0) {
        const stage = path.join(tmp, "stage");
        stageFiles(spec, dirs, stage);
        const files = path.join(tmp, "files.tar");
        execFileSync("tar", [
          "--numeric-owner",
          "--owner=0",
          "--group=0",
          "--sort=name",
          "--mtime=@0",
          "-C",
          stage,
          "-cf",
          files,
          ".",
        ]);
        layers.push(files);
      }
      const specFile = path.join(tmp, "spec.json");
      const out = path.join(tmp, "image.tar");
      fs.writeFileSync(specFile, JSON.stringify({ ref: spec.ref, out, layers, config: spec.config }));
      execFileSync(path.join(dirs["tool-oci"], "oci-image"), [specFile], { stdio: "inherit" });
      fs.rmSync(path.join(tmp, "stage"), { recursive: true, force: true });
      fs.rmSync(path.join(tmp, "files.tar"), { force: true });
      fs.rmSync(specFile);
    },
  };
}

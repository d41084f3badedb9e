// The URLs a user can open: kube-proxy opens every NodePort on every node, including nodes that run
// none of the frontend's pods, so each frontend answers at every node address.

export interface FrontendPort {
  readonly name: string;
  readonly nodePort: number;
}

/** IPv6 literals need brackets in a URL authority. */
function hostOf(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
}

/** `{ vote: ["http://<node-1>:30004", ...], result: [...] }`, node order kept. */
export function appUrls(addresses: readonly string[], frontends: readonly FrontendPort[]): Record<string, string[]> {
  const urls: Record<string, string[]> = {};
  for (const frontend of frontends) {
    if (frontend.name in urls) {
      throw new Error(`appUrls: frontend "${frontend.name}" is listed twice; frontend names must be unique`);
    }
    urls[frontend.name] = addresses.map((address) => `http://${hostOf(address)}:${frontend.nodePort}`);
  }
  return urls;
}

// What `multipass info --format json` prints for a launched VM, with an address from nodeCidr.
import { nthAddress } from "../../lib/cidr";
import { MockedOutput } from "../mocked-output";

/** cp-N gets host 10+N, worker-N host 20+N: stable, distinct, readable. */
function hostIndex(vm: string): number {
  const match = /-(\d+)$/.exec(vm);
  const n = match ? Number(match[1]) : 1;
  return (vm.startsWith("cp-") ? 10 : 20) + n;
}

export const mockedOutputs: MockedOutput[] = [
  {
    suffix: "-vm",
    produce: (args, context) => {
      const vm = /--name '?([a-z0-9.-]+)'?/.exec(String(args.inputs.create))?.[1] ?? args.name;
      const network = JSON.parse(context.config["kubelab:network"] ?? "{}");
      const address = nthAddress(network.nodeCidr ?? "192.168.64.0/24", hostIndex(vm));
      const info = { errors: [], info: { [vm]: { ipv4: [address], state: "Running", image_release: "24.04 LTS" } } };
      return { stdout: JSON.stringify(info), stderr: "" };
    },
  },
];

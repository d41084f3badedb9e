// What `node.sh start` prints for a local node, read back from the command text (offline render).
import { MockedOutput } from "../mocked-output";

/** A well-formed ed25519 public key (sha256 of a sentence as its point) that belongs to no machine. */
export const MOCK_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKt3zsDIvJUnTo4kPHFbadOZUn9tHAECbsvr+xR4m73E";

export const mockedOutputs: MockedOutput[] = [
  {
    suffix: "-machine",
    produce: (args) => {
      const text = String(args.inputs.create);
      const name = /node\.sh start '?([a-z0-9-]+)'?/.exec(text)?.[1] ?? args.name;
      const address = /--address '?([0-9.]+)\//.exec(text)?.[1] ?? "";
      return { stdout: `${JSON.stringify({ name, address, hostKey: MOCK_HOST_KEY })}\n`, stderr: "" };
    },
  },
];

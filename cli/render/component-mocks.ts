// Every component module's mocked outputs, registered once for tests, render and bench.
import { registerMockedOutputs } from "./mock-outputs";
import { mockedOutputs as cluster } from "../../components/cluster/mocked";
import { mockedOutputs as network } from "../../components/network/mocked";
import { mockedOutputs as nodes } from "../../components/nodes/mocked";
import { mockedOutputs as localNodes } from "../../components/nodes/local-mocked";
import { mockedOutputs as verify } from "../../components/verify/mocked";

export function registerComponentMocks(): void {
  registerMockedOutputs([...nodes, ...localNodes, ...cluster, ...network, ...verify]);
}

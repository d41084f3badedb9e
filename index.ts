// kubelab: `pulumi up` reads the stack config, builds the lab and exports its outputs.
import { loadConfig } from "./config";
import { deployLab } from "./components/lab";

export = async () => deployLab(loadConfig());

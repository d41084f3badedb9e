// kubelab: `pulumi up` reads the stack config, builds the lab and exports its outputs.
import { loadConfig } from "./config";
import { deployLab } from "./components/lab";
import { asRunError } from "./lib/user-errors";

export = async () => {
  try {
    return deployLab(loadConfig());
  } catch (error) {
    throw asRunError(error);
  }
};

// Errors a user fixes in their stack config or manifests, as opposed to bugs. The engine prints a
// Pulumi RunError as its message alone; any other exception as "unhandled" with the program's stack.
import * as pulumi from "@pulumi/pulumi";

export const USER_ERROR_NAMES = ["ConfigError", "PolicyError", "AddonPlanError", "AppArgsError"];

export function isUserError(error: unknown): error is Error {
  return error instanceof Error && USER_ERROR_NAMES.includes(error.name);
}

/** A user error as a RunError that keeps its name (render tells user errors apart by it); others as they are. */
export function asRunError(error: unknown): unknown {
  if (!isUserError(error)) return error;
  const run = new pulumi.RunError(error.message);
  run.name = error.name;
  return run;
}

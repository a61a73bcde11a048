import { ZopsError } from "../errors/index.js";
import type { CommandResult, GlobalOptions } from "../ui/output.js";

// Placeholder until the repository commands land.
export const runRepoInit = async (_globals: GlobalOptions): Promise<CommandResult> => {
  throw new ZopsError("INTERNAL", "repo init is not built yet");
};

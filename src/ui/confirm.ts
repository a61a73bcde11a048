import { createInterface } from "node:readline/promises";
import { ZopsError } from "../errors/index.js";

/**
 * Asks a yes/no question on the terminal: shows `plan` and the question on stderr (stdout stays the command's result)
 * and reads the answer from stdin; true only for y/yes.
 * @throws PRECONDITION when stdin is not a terminal (the caller names --yes in `hint`)
 */
export const confirmOnTerminal = async (plan: string, question: string, hint: string): Promise<boolean> => {
  if (!process.stdin.isTTY)
    throw new ZopsError("PRECONDITION", "refusing to go ahead without confirmation: stdin is not a terminal", { hint });
  process.stderr.write(`${plan}\n`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
};

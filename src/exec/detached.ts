/**
 * Starts `file args` as a detached background process (own session, no stdio, not killed when this process exits) and
 * resolves at once with its pid; the caller never waits for it. Spawn errors are swallowed (best effort). execa loads
 * only here, so the commands that may spawn do not pay for it when they do not.
 */
export const spawnDetached = async (
  file: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<number | undefined> => {
  const { execa } = await import("execa");
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    detached: true,
    stdio: "ignore",
    cleanup: false,
    reject: false,
    buffer: false,
  });
  subprocess.catch(() => undefined);
  subprocess.unref();
  return subprocess.pid;
};

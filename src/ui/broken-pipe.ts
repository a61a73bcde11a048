/**
 * Makes a closed reader end the process quietly (`zops --help | head -1`): EPIPE on stdout or stderr exits with the
 * status already set, as a Unix tool does on SIGPIPE, instead of an unhandled 'error' event and a stack trace.
 */
export const endQuietlyOnBrokenPipe = (
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): void => {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    });
  }
};

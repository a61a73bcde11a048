import { connect, createServer, type Socket } from "node:net";

/** A TCP proxy on loopback in front of a server: forwards, or accepts connections and never answers. */
export interface StallingProxy {
  readonly port: number;
  readonly endpoint: string;
  /** `stall`: new and open connections get no byte back; `forward`: new connections reach the server. */
  setMode(mode: "stall" | "forward"): void;
  /** Connections accepted while stalling (each one an attempt that got no answer). */
  readonly stalled: () => number;
  close(): Promise<void>;
}

/** Starts the proxy in front of `targetPort` (127.0.0.1), forwarding. */
export const startStallingProxy = async (targetPort: number): Promise<StallingProxy> => {
  let mode: "stall" | "forward" = "forward";
  let stalled = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    if (mode === "stall") {
      stalled += 1;
      return; // read nothing, answer nothing: the client's own deadline must end the wait
    }
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    setMode: (next) => {
      mode = next;
      // Open keep-alive connections would bypass the switch: drop them so every request meets the new mode.
      for (const socket of sockets) socket.destroy();
    },
    stalled: () => stalled,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

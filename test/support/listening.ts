import type { ChildProcess } from "node:child_process";
import net from "node:net";

/** Waits until something accepts connections on the loopback `port`, failing early if `child` (the server) exits. */
export async function waitForPort(port: number, child: ChildProcess, name = "nginx"): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${name} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

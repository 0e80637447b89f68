import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { waitForPort } from "./listening.js";

/** A redis-server the test suite started itself, on a free loopback port, with its data in a temp dir. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, so AOF is flushed). The data dir is kept for `start()`. */
  stop(): Promise<void>;
  /** Kills the server without warning (SIGKILL), as a crash would. The data dir is kept for `start()`. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir (for outage tests). */
  start(): Promise<void>;
  /** Stops it and removes its data dir. */
  destroy(): Promise<void>;
}

export async function startTestRedis(options: { appendOnly?: boolean } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ih-test-redis-"));
  const port = await freePort();
  let child: ChildProcess | null = null;

  const start = async () => {
    child = spawn(
      "redis-server",
      [
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        options.appendOnly ? "yes" : "no",
        "--appendfsync",
        "always",
        "--daemonize",
        "no",
      ],
      { stdio: "ignore" },
    );
    await waitForPort(port, child, "redis-server");
  };
  const stopWith = async (signal: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve());
      running.kill(signal);
    });
  };
  const stop = () => stopWith("SIGTERM");
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    kill: () => stopWith("SIGKILL"),
    start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

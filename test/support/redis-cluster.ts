import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);

/** A 3-master Redis Cluster on free loopback ports, started by the test suite itself. */
export interface TestRedisCluster {
  /** `host:port,host:port,host:port`, the REDIS_CLUSTER_NODES value. */
  readonly nodes: string;
  readonly ports: readonly number[];
  destroy(): Promise<void>;
}

export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ih-test-cluster-"));
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) ports.push(await freePort());
  const children: ChildProcess[] = [];
  const destroy = async () => {
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null
          ? undefined
          : new Promise<void>((resolve) => {
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
            }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      children.push(
        spawn(
          "redis-server",
          [
            "--bind",
            "127.0.0.1",
            "--port",
            String(port),
            "--dir",
            dir,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            `nodes-${port}.conf`,
            "--cluster-node-timeout",
            "2000",
            "--save",
            "",
            "--appendonly",
            "no",
          ],
          { stdio: "ignore" },
        ),
      );
    }
    for (const port of ports) await waitFor(async () => (await cli(port, "PING")) === "PONG", `node ${port}`);
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const port of ports)
      await waitFor(
        async () => (await cli(port, "CLUSTER", "INFO")).includes("cluster_state:ok"),
        `cluster state on ${port}`,
      );
  } catch (error) {
    await destroy();
    throw error;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(","), ports, destroy };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  try {
    return (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args])).stdout.trim();
  } catch {
    return "";
  }
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`redis cluster: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

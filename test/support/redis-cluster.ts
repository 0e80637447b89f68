import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./redis-server.js";
import { until } from "./until.js";

const run = promisify(execFile);

/** A 3-master Redis Cluster on free loopback ports, started by the test suite itself. */
export interface TestRedisCluster {
  /** `host:port,host:port,host:port`, the REDIS_CLUSTER_NODES value. */
  readonly nodes: string;
  readonly ports: readonly number[];
  destroy(): Promise<void>;
}

/** Redis Cluster nodes also listen on their port + 10000 (the cluster bus). */
const BUS_PORT_OFFSET = 10_000;
/** Starts with fresh ports this many times: a port free when chosen can be taken before redis-server binds it. */
const START_ATTEMPTS = 3;
/** How long a node has to answer, and the cluster to agree on its slots. */
const START_MS = 15_000;

/** A node exited before it answered: most likely its port or its bus port was taken meanwhile. */
class NodeDidNotStart extends Error {}

export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      if (!(error instanceof NodeDidNotStart) || attempt === START_ATTEMPTS) throw error;
    }
  }
}

async function startOnce(): Promise<TestRedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ih-test-cluster-"));
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) ports.push(await nodePort());
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
    for (const [i, port] of ports.entries()) {
      await until(
        `redis cluster: node ${port} answering`,
        async () => {
          if (children[i]!.exitCode !== null) throw new NodeDidNotStart(`redis cluster: node ${port} exited`);
          return cli(port, "PING");
        },
        (reply) => reply === "PONG",
        START_MS,
      );
    }
    await run("redis-cli", [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const port of ports)
      await until(
        `redis cluster: state ok on ${port}`,
        () => cli(port, "CLUSTER", "INFO"),
        (info) => info.includes("cluster_state:ok"),
        START_MS,
      );
  } catch (error) {
    await destroy();
    throw error;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(","), ports, destroy };
}

/** A free port whose bus port is free too (and exists). */
async function nodePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_PORT_OFFSET <= 65_535 && (await isFree(port + BUS_PORT_OFFSET))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function cli(port: number, ...args: string[]): Promise<string> {
  try {
    return (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args])).stdout.trim();
  } catch {
    return "";
  }
}

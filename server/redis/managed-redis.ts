import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

/**
 * The embedded default of `npm start` (DESIGN.md run contract): when nothing answers at a loopback REDIS_URL,
 * run a private `redis-server` child with its data under DATA_DIR and AOF on (SEC-17: `appendfsync everysec`, so at
 * most about two seconds of acknowledged writes are at risk), and stop it with the app.
 */
export interface ManagedRedis {
  readonly pid: number;
  stop(): Promise<void>;
}

export class RedisNotAvailableError extends Error {}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Returns null when a Redis already answers (or the URL is not ours to start); a running child otherwise. */
export async function ensureRedis(redisUrl: string, dataDir: string): Promise<ManagedRedis | null> {
  const url = new URL(redisUrl);
  const host = url.hostname || "127.0.0.1";
  const port = Number(url.port || 6379);
  if (await isListening(host, port)) return null;
  if (!LOOPBACK.has(host)) {
    throw new RedisNotAvailableError(
      `Nothing answers at REDIS_URL (${host}:${port}). Start Redis there or set REDIS_URL.`,
    );
  }
  const dir = path.join(dataDir, "redis");
  await mkdir(dir, { recursive: true });
  const child = spawn(
    "redis-server",
    [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
      "--daemonize",
      "no",
      "--protected-mode",
      "yes",
      "--logfile",
      path.join(dir, "redis.log"),
    ],
    { stdio: "ignore" },
  );
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new RedisNotAvailableError(
              `No Redis at ${redisUrl} and no redis-server on PATH: install Redis (e.g. 'apt-get install redis-server') or set REDIS_URL.`,
            )
          : error,
      ),
    );
  });
  try {
    await waitUntilListening(child, host, port, 10_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return { pid: child.pid!, stop: () => stopChild(child) };
}

function isListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ""), port });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitUntilListening(child: ChildProcess, host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new RedisNotAvailableError(
        `redis-server exited with code ${child.exitCode}; see its log under DATA_DIR/redis.`,
      );
    if (await isListening(host, port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new RedisNotAvailableError(
    `redis-server did not start listening on ${host}:${port} within ${timeoutMs / 1000} s.`,
  );
}

/** SIGTERM makes redis-server flush its AOF and exit; it gets 5 s before SIGKILL. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

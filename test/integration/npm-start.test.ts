import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gql, uniqueUsername } from "../support/graphql.js";
import { freePort, startTestRedis } from "../support/redis-server.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsxCli = path.join(root, "node_modules/tsx/dist/cli.mjs");

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs the server entry point exactly as `npm start` does (or another entry point, e.g. `npm run sweep`'s), as a
 * child process with its own environment.
 */
function startServer(env: Record<string, string>, entryPoint = "server/main.ts"): Started {
  const child = spawn(process.execPath, [tsxCli, entryPoint], {
    cwd: root,
    env: { ...env },
    stdio: ["ignore", "ignore", "pipe"],
    // tsx runs the entry point in a child process of its own: a process group lets cleanup stop both.
    detached: true,
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** SIGKILLs the child's whole process group (tsx and the server it runs), and waits until none of it is left. */
async function killGroup(child: ChildProcess): Promise<void> {
  const group = -child.pid!;
  const alive = () => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(group, "SIGKILL");
  await waitFor(() => !alive(), "the server's process group to end", 10_000);
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

describe("npm start (run contract, SEC-17, SEC-18)", () => {
  let dataDir: string;
  const running: Started[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "ih-npm-start-"));
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await killGroup(s.child);
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("runs exactly the entry point that the start script names", async () => {
    const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe("tsx server/main.ts");
  });

  it("runs a private redis-server when none answers, keeps data across restarts (AOF) and stops it on SIGTERM", async () => {
    const [redisPort, httpPort] = [await freePort(), await freePort()];
    const env = {
      PATH: process.env.PATH ?? "",
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      PORT: String(httpPort),
      DATA_DIR: dataDir,
      BCRYPT_COST: "10",
      LOG_LEVEL: "warn",
    };
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    const username = uniqueUsername("durable");

    const first = startServer(env);
    running.push(first);
    await waitFor(() => first.stderr().includes("listening on"), "the server to listen");
    expect(first.stderr()).toContain("started a private redis-server");
    expect(first.stderr()).toMatch(
      new RegExp(
        `using Redis at 127\\.0\\.0\\.1:${redisPort} \\(private, started by imagehost.*; persistence: AOF on\\)`,
      ),
    );
    expect(first.stderr()).not.toContain("warning");
    expect(await (await fetch(`${baseUrl}/health`)).json()).toEqual({ status: "ok" });
    const registered = await gql(
      baseUrl,
      `mutation($u: String!) { register(username: $u, password: "amber-falcon-river-9") { apiKey } }`,
      { u: username },
    );
    expect(registered.errors).toBeUndefined();

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.stderr()).toContain("SIGTERM received");
    expect(await portOpen(redisPort)).toBe(false);
    expect(await readdir(path.join(dataDir, "redis"))).toContain("appendonlydir");

    const second = startServer(env);
    running.push(second);
    await waitFor(() => second.stderr().includes("listening on"), "the server to listen again");
    const login = await gql(
      baseUrl,
      `mutation($u: String!) { login(username: $u, password: "amber-falcon-river-9") { user { username } } }`,
      { u: username },
    );
    expect(login.data).toEqual({ login: { user: { username } } });
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
    expect(await portOpen(redisPort)).toBe(false);
  });

  it.each([
    [false, "none"],
    [true, "AOF on"],
  ])(
    "says which existing Redis it uses, and warns when it keeps nothing on disk (AOF %s)",
    async (aof, persistence) => {
      const redis = await startTestRedis({ appendOnly: aof });
      try {
        const s = startServer({
          PATH: process.env.PATH ?? "",
          REDIS_URL: `redis://:not-logged-secret@127.0.0.1:${redis.port}`,
          PORT: String(await freePort()),
          DATA_DIR: dataDir,
          BCRYPT_COST: "10",
          LOG_LEVEL: "warn",
        });
        running.push(s);
        await waitFor(() => s.stderr().includes("listening on"), "the server to listen");
        const lines = s.stderr().split("\n");
        expect(lines).toContain(
          `imagehost: using Redis at 127.0.0.1:${redis.port} (not started by imagehost: other programs may use it too; persistence: ${persistence})`,
        );
        const warning = lines.find((line) => line.startsWith("imagehost: warning:"));
        if (aof) expect(warning).toBeUndefined();
        else expect(warning).toMatch(/keeps nothing on disk .* lost when it restarts/);
        expect(s.stderr()).not.toContain("not-logged-secret");
        expect(s.stderr()).not.toContain("started a private redis-server");
      } finally {
        await redis.destroy();
      }
    },
  );

  it("logs one JSON line per request at the default level, carrying its request id, and never the credential", async () => {
    const [redisPort, httpPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [tsxCli, "server/main.ts"], {
      cwd: root,
      detached: true,
      // LOG_LEVEL unset: the default level is what production runs.
      env: {
        PATH: process.env.PATH ?? "",
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        PORT: String(httpPort),
        DATA_DIR: dataDir,
        BCRYPT_COST: "10",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c) => (stdout += c));
    child.stderr!.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    running.push({ child, stderr: () => stderr, exited });
    await waitFor(() => stderr.includes("listening on"), "the server to listen");
    const secret = "ih_" + "Z".repeat(43);
    const base = `http://127.0.0.1:${httpPort}`;
    const answers = [
      await fetch(`${base}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": secret },
        body: JSON.stringify({ query: "{ me { id } }" }),
      }),
      await fetch(`${base}/image/AAAAAAAAAAAAAAAA`, { redirect: "manual" }),
      await fetch(`${base}/health`),
    ];
    child.kill("SIGTERM");
    await exited;
    const lines = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { reqId?: string; method?: string; url?: string; statusCode?: number });
    for (const answer of answers) {
      const requestId = answer.headers.get("x-request-id")!;
      const own = lines.filter((l) => l.reqId === requestId);
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({
        method: answer.url.endsWith("/graphql") ? "POST" : "GET",
        statusCode: answer.status,
      });
    }
    expect(stdout).not.toContain(secret);
  });

  it("npm run dev serves the app, and stops with its private Redis", async () => {
    const [redisPort, httpPort] = [await freePort(), await freePort()];
    // Its own process group, so the watcher and the server it runs are stopped together.
    const child = spawn("npm", ["run", "--silent", "dev"], {
      cwd: root,
      detached: true,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        PORT: String(httpPort),
        DATA_DIR: dataDir,
        BCRYPT_COST: "10",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await waitFor(() => stderr.includes("listening on"), "npm run dev to listen");
      expect(await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()).toEqual({ status: "ok" });
    } finally {
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
    await waitFor(async () => !(await portOpen(redisPort)), "the private Redis to stop");
  });

  it("exits with one clear line when there is no Redis and no redis-server binary", async () => {
    const bin = path.join(dataDir, "bin-node-only");
    await mkdir(bin, { recursive: true });
    await symlink(process.execPath, path.join(bin, "node"));
    const s = startServer({
      PATH: bin,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
    });
    running.push(s);
    expect(await s.exited).toBe(1);
    const lines = s.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no redis-server on PATH: install Redis .* or set REDIS_URL/);
  });

  it("reports every configuration problem at once and exits 2, under npm start and npm run sweep alike", async () => {
    const env = { PATH: process.env.PATH ?? "", PORT: "eighty", STORAGE_DRIVER: "floppy", BCRYPT_COST: "4" };
    const start = startServer(env);
    const sweep = startServer(env, "server/sweep.ts");
    running.push(start, sweep);
    for (const [s, name] of [
      [start, "imagehost"],
      [sweep, "imagehost sweep"],
    ] as const) {
      expect(await s.exited).toBe(2);
      expect(s.stderr()).toMatch(
        new RegExp(`^${name}: Invalid configuration:[\\s\\S]*PORT[\\s\\S]*STORAGE_DRIVER[\\s\\S]*BCRYPT_COST`),
      );
      expect(s.stderr()).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
    }
  });
});

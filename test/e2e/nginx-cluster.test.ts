import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, gql, uniqueUsername } from "../support/graphql.js";
import { makeImage, expectSamePicture } from "../support/images.js";
import { startTestRedisCluster, type TestRedisCluster } from "../support/redis-cluster.js";
import { waitForPort } from "../support/listening.js";
import { freePort } from "../support/redis-server.js";
import { s3Env, startS3rver, type RunningS3rver } from "../support/s3rver.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { openLiveSocket, waitForSubscribers } from "../support/live.js";
import { until } from "../support/until.js";
import { DELETE_IMAGE, fetchPublic, uploadImage } from "../support/uploads.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const REGISTER = `mutation($u: String!) { register(username: $u, password: "mellow-anchor-pixel-1") { apiKey } }`;
const MY_IDS = `{ myImages { totalCount nodes { id } } }`;

/**
 * Issue 9 end to end: Debian's nginx, configured from deploy/ (rendered to loopback ports), in front of two
 * stateless app nodes on a 3-master Redis Cluster and s3rver.
 */
describe("two nodes behind nginx on Redis Cluster and S3", () => {
  let cluster: TestRedisCluster;
  let s3: RunningS3rver;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let nginx: ChildProcess | undefined;
  let dir: string;
  let proxyUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ih-nginx-"));
    [cluster, s3] = await Promise.all([startTestRedisCluster(), startS3rver()]);
    const proxyPort = await freePort();
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
    const env = {
      REDIS_CLUSTER_NODES: cluster.nodes,
      ...s3Env(s3),
      PUBLIC_URL: proxyUrl,
      TRUST_PROXY: "1",
      REGISTRATIONS_PER_IP: "5",
    };
    [nodeA, nodeB] = await Promise.all([startTestApp(env), startTestApp(env)]);

    const upstreams = [nodeA, nodeB].map((n) => new URL(n.baseUrl).host).join(",");
    const { stdout: site } = await promisify(execFile)("bash", [path.join(root, "deploy/deploy.sh"), "render-nginx"], {
      env: {
        ...process.env,
        LISTEN: `127.0.0.1:${proxyPort}`,
        UPSTREAMS: upstreams,
        SERVER_NAME: "localhost",
        MAX_UPLOAD_BYTES: "65536",
      },
    });
    await mkdir(path.join(dir, "logs"));
    await writeFile(path.join(dir, "site.conf"), site);
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .map((t) => `${t}_temp_path ${dir}/${t};`)
      .join(" ");
    await writeFile(
      path.join(dir, "nginx.conf"),
      `user root; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log warn;
       events { worker_connections 256; }
       http { access_log off; ${temp} include ${dir}/site.conf; }`,
    );
    nginx = spawn("nginx", ["-c", path.join(dir, "nginx.conf"), "-p", dir, "-g", "daemon off;"], { stdio: "ignore" });
    await waitForPort(proxyPort, nginx);
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once("exit", resolve));
      nginx.kill("SIGTERM");
      await exited;
    }
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await Promise.all([cluster?.destroy(), s3?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("serves one product through the proxy: shared data, shared limits, deletes seen everywhere, failover", async () => {
    // Register and upload through nginx.
    const key = (await gql<{ register: { apiKey: string } }>(proxyUrl, REGISTER, { u: uniqueUsername("edge") })).data!
      .register.apiKey;
    const bytes = await makeImage("png");
    const image = await uploadImage(proxyUrl, key, bytes, "image/png");
    expect(image.url.startsWith(`${proxyUrl}/image/`)).toBe(true);
    await expectSamePicture((await fetchPublic(image.url)).bytes, bytes);

    // Each node sees it directly: no per-node state.
    for (const node of [nodeA, nodeB]) {
      const listed = await gql<{ myImages: { nodes: { id: string }[] } }>(node.baseUrl, MY_IDS, {}, key);
      expect(listed.data!.myImages.nodes.map((n) => n.id)).toEqual([image.id]);
    }

    // Registration limit (5 per IP per hour) is shared by both nodes, and the client IP is the one nginx saw,
    // whatever X-Forwarded-For the client sends.
    for (let i = 0; i < 4; i++)
      expect((await gql(proxyUrl, REGISTER, { u: uniqueUsername("edge") })).errors).toBeUndefined();
    const spoofed = await gql(
      proxyUrl,
      REGISTER,
      { u: uniqueUsername("edge") },
      { header: "x-forwarded-for", value: "203.0.113.9" },
    );
    expect(errorCode(spoofed)).toBe("RATE_LIMITED");
    expect(spoofed.status).toBe(429);
    for (const node of [nodeA, nodeB]) {
      // Straight to a node, the socket address (127.0.0.1) is the same client: limited there too.
      expect(errorCode(await gql(node.baseUrl, REGISTER, { u: uniqueUsername("edge") }))).toBe("RATE_LIMITED");
    }

    // Delete on one node: the other stops redirecting within a second (issue 16: its link cache hears of the
    // delete through Cluster pub/sub, which reaches a subscriber on another shard after the delete has answered).
    const second = await uploadImage(proxyUrl, key, await makeImage("gif"), "image/gif");
    const linkStatus = (base: string) => async () =>
      (await fetch(`${base}/image/${second.id}`, { redirect: "manual" })).status;
    expect(await linkStatus(nodeB.baseUrl)()).toBe(302);
    expect((await gql(nodeA.baseUrl, DELETE_IMAGE, { id: second.id }, key)).data).toEqual({ deleteImage: true });
    for (const base of [nodeB.baseUrl, proxyUrl])
      await until(`${base} stops redirecting`, linkStatus(base), (status) => status === 404, 1_000);

    // Live updates through the proxy's WebSocket upgrade, whichever node the socket landed on: uploads completed on
    // either node arrive (Redis Cluster pub/sub), and a deletion too.
    const ownerId = (await gql<{ me: { id: string } }>(proxyUrl, `{ me { id } }`, {}, key)).data!.me.id;
    const live = await openLiveSocket(proxyUrl, { origin: proxyUrl });
    try {
      await live.init({ apiKey: key });
      live.subscribe("s");
      await waitForSubscribers(
        cluster.ports.map((p) => `redis://127.0.0.1:${p}`),
        ownerId,
      );
      const onA = await uploadImage(nodeA.baseUrl, key, await makeImage("png"), "image/png");
      const onB = await uploadImage(nodeB.baseUrl, key, await makeImage("gif"), "image/gif");
      // uploadImage returns once processed: each upload's CREATED and READY (from whichever node's worker). Only
      // these two images count: the deletion of an earlier one may still be on its way. On Cluster a PUBLISH goes
      // through whichever node the client picks, so events sent by different processes may arrive in any order.
      const ofThese = () => live.events("s").filter((e) => e.imageId === onA.id || e.imageId === onB.id);
      const sorted = (events: { kind: string; imageId: string }[]) =>
        events.map((e) => `${e.imageId} ${e.kind}`).sort();
      await live.waitFor(() => ofThese().length >= 4, "events from both nodes");
      expect(sorted(ofThese())).toEqual(
        sorted([onA, onB].flatMap((image) => ["CREATED", "READY"].map((kind) => ({ kind, imageId: image.id })))),
      );
      for (const done of [onA, onB]) await gql(nodeA.baseUrl, DELETE_IMAGE, { id: done.id }, key);
      await live.waitFor(() => ofThese().length >= 6, "the deletions");
      expect(
        ofThese()
          .slice(4)
          .map((e) => e.kind),
      ).toEqual(["DELETED", "DELETED"]);
    } finally {
      await live.close();
    }

    // One node goes away: the proxy keeps serving through the other.
    await nodeA.close();
    for (let i = 0; i < 6; i++) {
      const listed = await gql<{ myImages: { totalCount: number } }>(proxyUrl, MY_IDS, {}, key);
      expect(listed.errors).toBeUndefined();
      expect(listed.data!.myImages.totalCount).toBe(1);
      expect((await fetch(image.url, { redirect: "manual" })).status).toBe(302);
    }
  });
});

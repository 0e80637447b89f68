/**
 * Issue 18 point 5: the README's "Behind a proxy" section is the truth. Three nginx sites, each in front of its own
 * app (local driver, PUBLIC_URL = the proxy): the README's minimal config as written; a site that passes exactly
 * the paths the README's table lists and answers 404 for everything else (so a path missing from the table fails
 * here); and the site deploy/ renders. Through each: the web app and its files, login, an upload bigger than
 * nginx's default body limit, its public link, the REST API, a share link, live updates over the WebSocket.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWebApp } from "../../scripts/build-web.js";
import { gql, uniqueUsername } from "../support/graphql.js";
import { expectSamePicture } from "../support/images.js";
import { openLiveSocket } from "../support/live.js";
import { waitForPort } from "../support/listening.js";
import { freePort } from "../support/redis-server.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { fetchPublic, uploadImage } from "../support/uploads.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const PASSWORD = "amber-quarry-window-4";

/** The README section, its table's paths (`…` marks a prefix) and its nginx block. */
async function readmeProxySection() {
  const readme = await readFile(path.join(root, "README.md"), "utf8");
  const start = readme.indexOf("\n### Behind a proxy\n");
  expect(start, 'README has a "Behind a proxy" section').toBeGreaterThan(-1);
  const section = readme.slice(start + 1, readme.indexOf("\n#", start + 2));
  const paths = section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .flatMap((line) => [...line.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
  const nginx = /```nginx\n([\s\S]*?)```/.exec(section)?.[1];
  expect(nginx, "the section has an nginx block").toBeDefined();
  return { paths, nginx: nginx! };
}

/** Proxy settings for one path; /graphql with the WebSocket upgrade, as the README asks. */
function location(match: string, upstream: string, upgrade: boolean): string {
  const ws = upgrade
    ? `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade;
       proxy_set_header Connection $connection_upgrade; proxy_read_timeout 1h;`
    : "";
  return `location ${match} { proxy_pass http://${upstream}; proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; ${ws} }`;
}

/** Everything a user and a client do, through `proxyUrl`. */
async function exercise(proxyUrl: string): Promise<void> {
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${proxyUrl}${p}`, { headers });

  // The web app, its client-side pages and every file index.html loads.
  const index = await get("/", { accept: "text/html" });
  expect(index.status).toBe(200);
  const html = await index.text();
  const files = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
  expect(files.some((f) => f.startsWith("/assets/"))).toBe(true);
  for (const file of files) expect((await get(file, { "accept-encoding": "br, gzip" })).status, file).toBe(200);
  for (const page of ["/login", "/register", "/keys", "/images/AAAAAAAAAAAA", "/a/AAAAAAAAAAAA"]) {
    const answer = await get(page, { accept: "text/html" });
    expect([answer.status, answer.headers.get("content-type")], page).toEqual([200, "text/html; charset=utf-8"]);
  }

  // The web app's registration (cookie), then an API key over GraphQL.
  const username = uniqueUsername("proxy");
  const registered = await fetch(`${proxyUrl}/web/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: proxyUrl },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  expect(registered.status, await registered.clone().text()).toBe(200);
  expect(registered.headers.get("set-cookie")).toMatch(/^ih_session=/);
  const login = await gql<{ login: { apiKey: string } }>(
    proxyUrl,
    `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { apiKey } }`,
    { u: username, p: PASSWORD },
  );
  const key = login.data!.login.apiKey;

  // Over a megabyte: more than nginx takes by default, sent to /uploads/ on the local driver.
  const bytes = await sharp({
    create: {
      width: 800,
      height: 600,
      channels: 3,
      background: "#808080",
      noise: { type: "gaussian", mean: 128, sigma: 60 },
    },
  })
    .png()
    .toBuffer();
  expect(bytes.length).toBeGreaterThan(1024 * 1024);
  const image = await uploadImage(proxyUrl, key, bytes, "image/png", { filename: "noise.png" });
  expect(image.url.startsWith(`${proxyUrl}/image/`)).toBe(true);
  const served = await fetchPublic(image.url);
  expect(served.location?.startsWith(`${proxyUrl}/files/`), served.location ?? "").toBe(true);
  expect(served.status).toBe(200);
  await expectSamePicture(served.bytes, bytes);

  const listed = await get("/api/v1/me/images", { "x-api-key": key });
  expect(listed.status).toBe(200);
  expect(await listed.text()).toContain(image.id);

  const share = await gql<{ createShareLink: { url: string } }>(
    proxyUrl,
    `mutation($id: ID!) { createShareLink(input: { imageId: $id }) { url } }`,
    { id: image.id },
    key,
  );
  const shareUrl = share.data!.createShareLink.url;
  expect(shareUrl.startsWith(`${proxyUrl}/s/`)).toBe(true);
  expect((await fetch(shareUrl, { redirect: "manual" })).status).toBe(302);

  const live = await openLiveSocket(proxyUrl, { origin: proxyUrl });
  try {
    await live.init({ apiKey: key });
  } finally {
    await live.close();
  }
  for (const probe of ["/health", "/ready"]) expect((await get(probe)).status, probe).toBe(200);
}

describe("the README's proxy configuration", () => {
  const sites = ["readme", "listed-paths", "deploy"] as const;
  const apps = new Map<(typeof sites)[number], TestApp>();
  const urls = new Map<(typeof sites)[number], string>();
  let nginx: ChildProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    const [{ paths, nginx: readmeSite }] = await Promise.all([
      readmeProxySection(),
      buildWebApp({ log: () => undefined }),
    ]);
    dir = await mkdtemp(path.join(os.tmpdir(), "ih-proxy-"));
    const ports = await Promise.all(sites.map(() => freePort()));
    for (const [i, site] of sites.entries()) urls.set(site, `http://127.0.0.1:${ports[i]}`);
    const started = await Promise.all(
      sites.map((site) => startTestApp({ PUBLIC_URL: urls.get(site)!, TRUST_PROXY: "1" })),
    );
    for (const [i, site] of sites.entries()) apps.set(site, started[i]!);
    const upstream = (site: (typeof sites)[number]) => new URL(apps.get(site)!.baseUrl).host;

    // 1. The README's site as written, pointed at this test's app and port.
    expect(readmeSite).toContain("listen 80;");
    expect(readmeSite).toContain("http://127.0.0.1:3000;");
    const readme = readmeSite
      .replace("listen 80;", `listen 127.0.0.1:${ports[0]};`)
      .replaceAll("http://127.0.0.1:3000;", `http://${upstream("readme")};`);

    // 2. Only the table's paths; anything else is nginx's own 404.
    expect(paths).toEqual(expect.arrayContaining(["/", "/graphql", "/uploads/…", "/files/…", "/image/…", "/api/…"]));
    const listed = `server { listen 127.0.0.1:${ports[1]}; client_max_body_size 21m;
      ${paths
        .map((p) => location(p.endsWith("…") ? p.slice(0, -1) : `= ${p}`, upstream("listed-paths"), p === "/graphql"))
        .join("\n")}
      location / { return 404; }
    }`;

    // 3. The site deploy/deploy.sh renders.
    const { stdout: deploy } = await promisify(execFile)(
      "bash",
      [path.join(root, "deploy/deploy.sh"), "render-nginx"],
      {
        env: {
          ...process.env,
          LISTEN: `127.0.0.1:${ports[2]}`,
          UPSTREAMS: upstream("deploy"),
          SERVER_NAME: "localhost",
        },
      },
    );

    await mkdir(path.join(dir, "logs"));
    await writeFile(path.join(dir, "sites.conf"), [readme, listed, deploy].join("\n"));
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .map((t) => `${t}_temp_path ${dir}/${t};`)
      .join(" ");
    await writeFile(
      path.join(dir, "nginx.conf"),
      `user root; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log warn;
       events { worker_connections 256; }
       http { access_log off; ${temp} include ${dir}/sites.conf; }`,
    );
    nginx = spawn("nginx", ["-c", path.join(dir, "nginx.conf"), "-p", dir, "-g", "daemon off;"], { stdio: "ignore" });
    await Promise.all(ports.map((port) => waitForPort(port, nginx!)));
  }, 120_000);

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once("exit", resolve));
      nginx.kill("SIGTERM");
      await exited;
    }
    await Promise.all([...apps.values()].map((app) => app.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the README's minimal nginx site: everything works through it on the local driver", async () => {
    await exercise(urls.get("readme")!);
  });

  it("a proxy passing only the paths the README lists: nothing is missing from the list", async () => {
    const url = urls.get("listed-paths")!;
    expect((await fetch(`${url}/not-listed`)).status).toBe(404);
    expect(await (await fetch(`${url}/not-listed`)).text()).toContain("nginx");
    await exercise(url);
  });

  it("the site deploy/ renders passes the same paths", async () => {
    await exercise(urls.get("deploy")!);
  });
});

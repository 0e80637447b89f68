import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)("bash", [path.join(root, "deploy/deploy.sh"), ...args], { env: { ...process.env, ...env } });

/** deploy/deploy.sh as the README runs it; the full install is shown with --dry-run (it changes the system). */
describe("deploy/deploy.sh", () => {
  it("renders an nginx site with every node, the upload limit and forwarded headers", async () => {
    const { stdout } = await run(["render-nginx"], {
      UPSTREAMS: "10.0.0.1:3000,10.0.0.2:3000",
      SERVER_NAME: "img.example.com",
      MAX_UPLOAD_BYTES: "1048576",
    });
    expect(stdout).toContain("server 10.0.0.1:3000 max_fails=1 fail_timeout=5s;");
    expect(stdout).toContain("server 10.0.0.2:3000 max_fails=1 fail_timeout=5s;");
    expect(stdout).toContain("server_name img.example.com;");
    expect(stdout).toContain("client_max_body_size 1088k;");
    expect(stdout).toContain("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;");
    expect(stdout).not.toContain("@@");
  });

  it("plans an idempotent install: packages, user, config with the passed settings, unit, nginx, restart", async () => {
    const { stdout } = await run(["install", "--dry-run"], {
      STORAGE_DRIVER: "s3",
      S3_BUCKET: "pics",
      REDIS_CLUSTER_NODES: "10.0.0.5:7000",
      SERVER_NAME: "img.example.com",
      ADMIN_USERNAMES: "alice,bob",
    });
    expect(stdout).toMatch(/apt-get install|dnf install/);
    expect(stdout).toContain("REGISTRATION=invite");
    expect(stdout).toContain("ADMIN_USERNAMES=alice,bob");
    expect(stdout).toContain("PUBLIC_URL=https://img.example.com");
    expect(stdout).toContain("TRUST_PROXY=1");
    expect(stdout).toContain("S3_BUCKET=pics");
    expect(stdout).toContain("REDIS_CLUSTER_NODES=10.0.0.5:7000");
    expect(stdout).toMatch(/UPLOAD_SIGNING_SECRET=\S{32,}/);
    expect(stdout).toContain("/etc/systemd/system/imagehost.service");
    expect(stdout).toContain("nginx -t");
    expect(stdout).toContain("systemctl restart imagehost");
  });

  it("refuses unknown subcommands with usage", async () => {
    await expect(run(["frobnicate"])).rejects.toMatchObject({ code: 2 });
  });
});

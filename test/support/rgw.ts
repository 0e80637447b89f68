import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from "@aws-sdk/client-s3";
import type { S3StorageConfig } from "../../server/config.js";
import { freePort } from "./redis-server.js";

const run = promisify(execFile);

/** A private Ceph RADOS Gateway (a real S3 that checks signatures, policies and lengths) on loopback. */
export interface RunningRgw {
  /** e.g. `http://127.0.0.1:40123` */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops every daemon (SIGKILL by PID) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const ACCESS_KEY = "IMAGEHOSTTESTKEY0001";
const SECRET_KEY = "imagehost-test-secret-key-0000000000000000";

/**
 * Starts one mon, one memstore OSD and radosgw as child processes, everything under one temp dir, on free ports
 * (settings and their reasons: RGW-NOTES.md). About 3 s. On any failure every daemon started so far is killed.
 */
export async function startRgw(): Promise<RunningRgw> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ih-rgw-"));
  const children: ChildProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map(killChild));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [monV2, monV1, rgwPort] = [await freePort(), await freePort(), await freePort()];
    const conf = path.join(dir, "ceph.conf");
    const keyring = path.join(dir, "mon.keyring");
    const fsid = randomUUID();
    await writeFile(conf, cephConf({ dir, fsid, monV1, monV2, rgwPort }));
    await mkdir(path.join(dir, "run"));
    const ceph = (tool: string, args: string[]) => run(tool, args, { timeout: 20_000, env: cephEnv() });

    await ceph("ceph-authtool", ["--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"]);
    const monmap = path.join(dir, "monmap");
    const addr = `[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]`;
    await ceph("monmaptool", ["--create", "--fsid", fsid, "--addv", "a", addr, monmap]);
    await ceph("ceph-mon", ["-c", conf, "-i", "a", "--mkfs", "--monmap", monmap, "--keyring", keyring]);
    children.push(daemon("ceph-mon", ["-c", conf, "-i", "a", "-f"]));
    await ceph("ceph", ["-c", conf, "--connect-timeout", "15", "mon", "stat"]);

    const osdUuid = randomUUID();
    const osdId = (await ceph("ceph", ["-c", conf, "osd", "new", osdUuid])).stdout.trim();
    // memstore keeps objects in RAM but writes its fsid and superblock into osd_data, which must exist.
    await mkdir(path.join(dir, `osd-${osdId}`));
    await ceph("ceph-osd", ["-c", conf, "-i", osdId, "--mkfs", "--osd-uuid", osdUuid]);
    children.push(daemon("ceph-osd", ["-c", conf, "-i", osdId, "-f"]));
    await waitFor(`osd.${osdId} up`, async () => {
      const dump = (await ceph("ceph", ["-c", conf, "osd", "dump"])).stdout;
      return new RegExp(`^osd\\.${osdId} up`, "m").test(dump);
    });

    const gateway = daemon("radosgw", ["-c", conf, "-n", "client.rgw", "-f"]);
    children.push(gateway);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor("radosgw to answer HTTP", async () => {
      if (gateway.exitCode !== null) throw new Error(`radosgw exited with ${gateway.exitCode}`);
      return fetch(endpoint).then(
        () => true,
        () => false,
      );
    });
    await ceph("radosgw-admin", [
      "-c",
      conf,
      "user",
      "create",
      "--uid=test",
      "--display-name=test",
      `--access-key=${ACCESS_KEY}`,
      `--secret=${SECRET_KEY}`,
    ]);
    return { endpoint, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Creates a bucket (with CORS for `corsOrigins`, if any) on this gateway and returns a storage config for it. */
export async function createRgwBucket(
  rgw: Pick<RunningRgw, "endpoint" | "accessKeyId" | "secretAccessKey">,
  options: { bucket?: string; corsOrigins?: string[] } = {},
): Promise<S3StorageConfig> {
  const bucket = options.bucket ?? `ih-${randomUUID().slice(0, 13)}`;
  const config: S3StorageConfig = {
    driver: "s3",
    bucket,
    region: "us-east-1",
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    publicUrl: null,
  };
  const client = new S3Client({
    region: config.region,
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    credentials: config.credentials!,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    if (options.corsOrigins && options.corsOrigins.length > 0) {
      await client.send(
        new PutBucketCorsCommand({
          Bucket: bucket,
          CORSConfiguration: {
            CORSRules: [
              {
                AllowedOrigins: options.corsOrigins,
                AllowedMethods: ["PUT", "POST"],
                AllowedHeaders: ["*"],
                ExposeHeaders: ["ETag"],
                MaxAgeSeconds: 600,
              },
            ],
          },
        }),
      );
    }
  } finally {
    client.destroy();
  }
  return config;
}

/** Environment for startTestApp on the s3 driver, against this bucket. */
export function rgwEnv(config: S3StorageConfig): Record<string, string> {
  return {
    STORAGE_DRIVER: "s3",
    S3_BUCKET: config.bucket,
    S3_ENDPOINT: config.endpoint!,
    S3_FORCE_PATH_STYLE: "true",
    S3_ACCESS_KEY_ID: config.credentials!.accessKeyId,
    S3_SECRET_ACCESS_KEY: config.credentials!.secretAccessKey,
  };
}

function cephConf(o: { dir: string; fsid: string; monV1: number; monV2: number; rgwPort: number }): string {
  const d = o.dir;
  return `[global]
fsid = ${o.fsid}
mon_host = [v2:127.0.0.1:${o.monV2},v1:127.0.0.1:${o.monV1}]
public_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_client_mode = crc
ms_cluster_mode = crc
ms_service_mode = crc
run_dir = ${d}/run
admin_socket = ${d}/run/$name.asok
log_file = ${d}/$name.log
pid_file = ${d}/run/$name.pid
keyring = ${d}/mon.keyring
crash_dir = ${d}/crash
exec_dir = ${d}
log_to_stderr = false
err_to_stderr = false
mon_cluster_log_file = ${d}/cluster.log
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
mon_warn_on_pool_no_redundancy = false
[mon]
mon_data = ${d}/mon-$id
[osd]
osd_data = ${d}/osd-$id
osd_objectstore = memstore
osd_op_num_shards = 1
osd_journal_size = 0
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:${o.rgwPort}
rgw_data = ${d}/rgw
rgw_enable_gc_threads = false
rgw_enable_lc_threads = false
rgw_enable_quota_threads = false
rgw_run_sync_thread = false
rgw_dynamic_resharding = false
`;
}

function cephEnv(): NodeJS.ProcessEnv {
  // Ceph tools may sit in /usr/sbin on some installs.
  return { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/usr/bin` };
}

function daemon(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: "ignore", env: cephEnv() });
  child.on("error", () => {});
  return child;
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`RGW start: timed out waiting for ${what}`);
}

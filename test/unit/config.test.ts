import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../server/config.js";

describe("config", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({}, "/srv/imagehost");
    expect(config.http).toEqual({
      host: "127.0.0.1",
      port: 3000,
      publicUrl: "http://127.0.0.1:3000",
      trustProxyHops: 0,
      corsOrigins: [],
      appOrigins: ["http://127.0.0.1:3000", "http://localhost:3000"],
    });
    expect(config.redis).toEqual({ mode: "single", url: "redis://127.0.0.1:6379" });
    expect(config.storage).toEqual({ driver: "local", root: "/srv/imagehost/data/blobs" });
    expect(config.dataDir).toBe("/srv/imagehost/data");
    expect(config.uploads.maxUploadBytes).toBe(20971520);
    expect(config.auth).toEqual({
      registration: "open",
      adminUsernames: [],
      bcryptCost: 12,
      sessionIdleSeconds: 30 * 24 * 3600,
      abuseLimits: {
        loginFailuresPerUsername: 10,
        loginFailuresPerIp: 30,
        registrationsPerIp: 5,
        registrationAttemptsPerIp: 30,
      },
    });
    expect(Object.isFrozen(config) && Object.isFrozen(config.http)).toBe(true);
  });

  it("reads REGISTRATION and ADMIN_USERNAMES (case-folded), refusing bad values", () => {
    const config = loadConfig({ REGISTRATION: "invite", ADMIN_USERNAMES: " Alice, bob ,alice" });
    expect(config.auth.registration).toBe("invite");
    expect(config.auth.adminUsernames).toEqual(["alice", "bob"]);
    expect(() => loadConfig({ REGISTRATION: "sometimes", ADMIN_USERNAMES: "a b" })).toThrow(
      /REGISTRATION: must be open, invite or closed[\s\S]*ADMIN_USERNAMES: "a b" is not a valid username/,
    );
  });

  it("reads S3 settings, including the older AWS_* names", () => {
    const config = loadConfig({
      STORAGE_DRIVER: "s3",
      AWS_S3_BUCKET_NAME: "pics",
      AWS_REGION: "eu-west-1",
      S3_ENDPOINT: "http://127.0.0.1:9000/",
      S3_FORCE_PATH_STYLE: "true",
      S3_ACCESS_KEY_ID: "id",
      S3_SECRET_ACCESS_KEY: "secret",
      S3_PUBLIC_URL: "https://cdn.example.com/",
    });
    expect(config.storage).toEqual({
      driver: "s3",
      bucket: "pics",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:9000",
      forcePathStyle: true,
      credentials: { accessKeyId: "id", secretAccessKey: "secret" },
      publicUrl: "https://cdn.example.com",
    });
    expect(loadConfig({ STORAGE_DRIVER: "s3", S3_BUCKET: "a", AWS_S3_BUCKET_NAME: "b" }).storage).toMatchObject({
      bucket: "a",
      credentials: null,
      region: "us-east-1",
    });
  });

  it("switches to Redis Cluster when REDIS_CLUSTER_NODES is set", () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, 10.0.0.2:7001" }).redis).toEqual({
      mode: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
      ],
    });
  });

  it("reports every problem at once", () => {
    let caught: unknown;
    try {
      loadConfig({
        PORT: "http",
        REDIS_URL: "localhost:6379",
        STORAGE_DRIVER: "ftp",
        BCRYPT_COST: "8",
        MAX_UPLOAD_BYTES: "-1",
        S3_FORCE_PATH_STYLE: "maybe",
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join("\n");
    for (const name of [
      "PORT",
      "REDIS_URL",
      "STORAGE_DRIVER",
      "BCRYPT_COST",
      "MAX_UPLOAD_BYTES",
      "S3_FORCE_PATH_STYLE",
    ])
      expect(problems).toContain(name);
    expect((caught as ConfigError).message.split("\n")[0]).toBe("Invalid configuration:");
  });

  it("requires a bucket and paired S3 credentials for the s3 driver", () => {
    expect(() => loadConfig({ STORAGE_DRIVER: "s3", S3_ACCESS_KEY_ID: "id" })).toThrow(
      /S3_BUCKET[\s\S]*S3_SECRET_ACCESS_KEY/,
    );
  });

  it("keeps the bcrypt cost at or above the floor of 10 (SEC-1)", () => {
    expect(() => loadConfig({ BCRYPT_COST: "9" })).toThrow(/BCRYPT_COST: must be at least 10/);
    expect(loadConfig({ BCRYPT_COST: "10" }).auth.bcryptCost).toBe(10);
  });
});

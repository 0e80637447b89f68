import { type BenchUser, FIRST_PAGE_QUERY } from "./api.js";
import { type HttpLoad, ScenarioError, httpLoad } from "./load.js";
import { type Phase, type Row, measurePhases } from "./measure.js";
import type { Group, Settings } from "./options.js";
import type { ChildServer } from "./processes.js";
import type { Comparison } from "./report.js";
import { liveGroup } from "./live-scenarios.js";
import { loginGroup } from "./login-scenarios.js";
import { pipelineGroup } from "./pipeline-scenarios.js";
import { uploadGroup } from "./upload-scenarios.js";

export const UPLOAD_BYTES = 256 * 1024;

/** Everything the scenarios run against, set up by bench/run.ts. */
export interface BenchContext {
  readonly settings: Settings;
  /** The bench's own redis-server, which both servers use. */
  readonly redisUrl: string;
  /** The ImageHost server, local driver. */
  readonly local: ChildServer;
  /** The ImageHost server, S3 driver (s3rver), presigned GETs. */
  readonly s3: ChildServer;
  /** bench/baseline-server.ts. */
  readonly baseline: ChildServer;
  /** `/image/<id>` paths of seeded images. */
  readonly redirectPaths: readonly string[];
  /** `/files/<key>` paths of the 20 images uploaded through the API (where their public links redirect). */
  readonly filePaths: readonly string[];
  readonly users: {
    /** Exactly 20 images, uploaded through the API. */
    readonly twenty: BenchUser;
    readonly small: BenchUser;
    readonly big: BenchUser;
    readonly uploader: BenchUser;
    readonly putter: BenchUser;
    readonly login: BenchUser;
    /** Holds the live group's idle subscriptions (WS_MAX_CONNECTIONS_PER_USER is raised for it). */
    readonly idle: BenchUser;
  };
  /** A valid PNG of UPLOAD_BYTES bytes. */
  readonly png: Buffer;
  /** Scratch directory for the fs baseline, on the same filesystem as the servers' DATA_DIR. */
  readonly scratchDir: string;
  log(message: string): void;
}

/** What each row is judged against (see docs/benchmarks.md for why). */
export const COMPARISONS: readonly Comparison[] = [
  { row: "redirect-local", baseline: "redirect-baseline", metric: "rate", target: { op: ">=", value: 1.0 } },
  { row: "redirect-s3", baseline: "redirect-local", metric: "rate", target: { op: ">=", value: 0.9 } },
  // No target: the same floor measured twice shows how far apart two measurements of identical code land.
  { row: "redirect-baseline-again", baseline: "redirect-baseline", metric: "rate" },
  { row: "list-graphql", baseline: "list-rest", metric: "rate", target: { op: ">=", value: 0.8 } },
  { row: "first-page-big", baseline: "first-page-small", metric: "p50", target: { op: "<=", value: 1.5 } },
  { row: "upload-put", baseline: "upload-bare", metric: "rate", target: { op: ">=", value: 0.7 } },
  { row: "upload-flow", baseline: "upload-fs", metric: "rate" },
  { row: "login", baseline: "login-bcrypt", metric: "rate" },
  // Issue 13: what the worker adds to sharp's own work (storage, Redis, the queue) must stay small.
  { row: "pipeline-worker", baseline: "pipeline-sharp", metric: "rate", target: { op: ">=", value: 0.8 } },
  // A login that held the event loop (or every thread a request needs) would make other requests wait for a whole
  // hash: their p99 would reach its time.
  ...["redirect", "files"].map((key): Comparison => ({
    row: `${key}-with-logins`,
    baseline: `${key}-paced`,
    metric: "p99",
    target: { op: "<=", value: 0.5, of: { row: "login-bcrypt-one", metric: "p50", label: "one bcrypt hash" } },
  })),
];

/** Runs one group of scenarios and returns its rows. */
export function runGroup(group: Group, ctx: BenchContext): Promise<Row[]> {
  switch (group) {
    case "redirect":
      return redirectGroup(ctx);
    case "list":
      return listGroup(ctx);
    case "flat":
      return firstPageGroup(ctx);
    case "upload":
      return uploadGroup(ctx, measure);
    case "login":
      return loginGroup(ctx, measure);
    case "live":
      return liveGroup(ctx, measure);
    case "pipeline":
      return pipelineGroup(ctx, measure);
    default:
      return unreachable(group);
  }
}

const measure = (ctx: BenchContext, phases: Phase[]) => measurePhases(ctx.settings, phases, ctx.log);

function httpPhase(key: string, name: string, server: ChildServer, load: HttpLoad): Phase {
  return { key, name: () => name, unit: "req/s", server, run: (seconds) => httpLoad(load, seconds) };
}

// ---------------------------------------------------------------------------------------------------------------
// Public redirect

async function redirectGroup(ctx: BenchContext): Promise<Row[]> {
  const first = ctx.redirectPaths[0]!;
  await expectRedirect(ctx.baseline, first, /\/files\/img\//);
  await expectRedirect(ctx.local, first, /\/files\/img\//);
  await expectRedirect(ctx.s3, first, /X-Amz-Signature=/);
  const load = (server: ChildServer): HttpLoad => ({
    url: server.url,
    paths: ctx.redirectPaths,
    connections: ctx.settings.connections,
    expectStatus: 302,
  });
  return measure(ctx, [
    httpPhase(
      "redirect-baseline",
      "`GET /image/<id>` baseline: node:http + HGET + 302",
      ctx.baseline,
      load(ctx.baseline),
    ),
    httpPhase("redirect-local", "`GET /image/<id>` server, local driver", ctx.local, load(ctx.local)),
    httpPhase("redirect-s3", "`GET /image/<id>` server, s3 driver (presigned)", ctx.s3, load(ctx.s3)),
    httpPhase(
      "redirect-baseline-again",
      "`GET /image/<id>` baseline again (a control: same process, its own rounds)",
      ctx.baseline,
      load(ctx.baseline),
    ),
  ]);
}

async function expectRedirect(server: ChildServer, imagePath: string, location: RegExp): Promise<void> {
  const response = await fetch(`${server.url}${imagePath}`, { redirect: "manual" });
  await response.arrayBuffer();
  const where = response.headers.get("location") ?? "";
  if (response.status !== 302 || !location.test(where)) {
    throw new ScenarioError(
      `${server.name}: GET ${imagePath} answered ${response.status} to "${where}", expected a 302 matching ${location}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Listing: GraphQL against REST, same user (exactly 20 images), same fields

async function listGroup(ctx: BenchContext): Promise<Row[]> {
  const { apiKey } = ctx.users.twenty;
  const rest: HttpLoad = {
    url: `${ctx.local.url}/api/v1/me/images`,
    headers: { "x-api-key": apiKey },
    connections: ctx.settings.connections,
    expectStatus: 200,
    verifyBody: (body) => body.startsWith('{"items":['),
  };
  const restBody = (await (await fetch(rest.url, { headers: rest.headers })).json()) as { items?: unknown[] };
  if (restBody.items?.length !== 20)
    throw new ScenarioError(
      `GET /api/v1/me/images returned ${JSON.stringify(restBody).slice(0, 200)}, expected 20 items`,
    );
  const graphql = graphqlLoad(ctx.local, apiKey, ctx.settings.connections);
  const graphqlBody = (await (
    await fetch(graphql.url, { method: "POST", headers: graphql.headers, body: graphql.body })
  ).json()) as {
    data?: { myImages?: { nodes?: unknown[] } };
  };
  if (graphqlBody.data?.myImages?.nodes?.length !== 20)
    throw new ScenarioError(`myImages(first: 20) returned ${JSON.stringify(graphqlBody).slice(0, 200)}`);

  return measure(ctx, [
    httpPhase("list-rest", "`GET /api/v1/me/images` (user with exactly 20 images)", ctx.local, rest),
    httpPhase("list-graphql", "GraphQL `myImages(first: 20)`, same fields (same user)", ctx.local, graphql),
  ]);
}

/** POST /graphql with the first-page query; every answer must carry data and no errors. */
function graphqlLoad(
  server: ChildServer,
  apiKey: string,
  connections: number,
): HttpLoad & { headers: Record<string, string>; body: string } {
  return {
    url: `${server.url}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": apiKey },
    body: JSON.stringify({ query: FIRST_PAGE_QUERY }),
    connections,
    expectStatus: 200,
    verifyBody: (body: string) => body.startsWith('{"data":{"myImages"') && !body.includes('"errors"'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// First-page latency as the list grows

function firstPageGroup(ctx: BenchContext): Promise<Row[]> {
  const { smallList, bigList, latencyConnections } = ctx.settings;
  const count = (n: number) => n.toLocaleString("en-US");
  return measure(ctx, [
    httpPhase(
      "first-page-small",
      `\`myImages(first: 20)\`, user with ${count(smallList)} images`,
      ctx.local,
      graphqlLoad(ctx.local, ctx.users.small.apiKey, latencyConnections),
    ),
    httpPhase(
      "first-page-big",
      `\`myImages(first: 20)\`, user with ${count(bigList)} images`,
      ctx.local,
      graphqlLoad(ctx.local, ctx.users.big.apiKey, latencyConnections),
    ),
  ]);
}

function unreachable(value: never): never {
  throw new Error(`unhandled: ${String(value)}`);
}

import bcrypt from "bcrypt";
import { login } from "./api.js";
import { type HttpLoad, type Sample, ScenarioError, httpLoad, loops, pacedHttpLoad } from "./load.js";
import type { Phase, Row } from "./measure.js";
import { sleep } from "./processes.js";
import type { BenchContext } from "./scenarios.js";

// Login: bounded by bcrypt; the bcrypt work must not hold up other requests.

export async function loginGroup(
  ctx: BenchContext,
  measure: (ctx: BenchContext, phases: Phase[]) => Promise<Row[]>,
): Promise<Row[]> {
  const { settings } = ctx;
  const user = ctx.users.login;
  const hash = await bcrypt.hash(user.password, settings.bcryptCost);
  const compare = async () => {
    if (!(await bcrypt.compare(user.password, hash)))
      throw new ScenarioError("bcrypt.compare said no to the right password");
  };
  const oneLogin = async () => {
    await login(ctx.local.url, user);
  };
  const cost = `cost ${settings.bcryptCost}`;

  const one = await measure(ctx, [
    {
      key: "login-bcrypt-one",
      name: () => `bcrypt.compare, ${cost}, one at a time (bench process)`,
      unit: "hashes/s",
      server: null,
      run: (s) => loops(1, s, compare),
    },
  ]);
  const throughput = await measure(ctx, [
    {
      key: "login-bcrypt",
      name: () => `bcrypt.compare, ${cost}, ${settings.workers} in parallel (bench process)`,
      unit: "hashes/s",
      server: null,
      run: (s) => loops(settings.workers, s, compare),
    },
    {
      key: "login",
      name: () => `GraphQL \`login\`, ${settings.workers} workers`,
      unit: "logins/s",
      server: ctx.local,
      run: (s) => loops(settings.workers, s, oneLogin),
    },
  ]);

  // Paced (open-loop) load, so p99 shows waiting caused by something else rather than our own queueing. Two kinds
  // of request: the redirect (one Redis read) and the local driver's bytes (file-system calls, which share libuv's
  // thread pool with bcrypt).
  const redirects: HttpLoad = {
    url: ctx.local.url,
    paths: ctx.redirectPaths,
    connections: settings.connections,
    expectStatus: 302,
  };
  const files: HttpLoad = {
    url: ctx.local.url,
    paths: ctx.filePaths,
    connections: settings.connections,
    expectStatus: 200,
  };
  const redirectRate = await pacedRate(redirects, ctx.settings.duration);
  const fileRate = await pacedRate(files, ctx.settings.duration);
  const interference = await measure(ctx, [
    ...withAndWithoutLogins(ctx, oneLogin, "redirect", "`GET /image/<id>` (redirect)", redirects, redirectRate),
    ...withAndWithoutLogins(ctx, oneLogin, "files", "`GET /files/<key>` (local bytes, 64×48 PNG)", files, fileRate),
  ]);
  return [...one, ...throughput, ...interference];
}

/** `<key>-paced` (the load alone) and `<key>-with-logins` (the same load while `workers` loops log in). */
function withAndWithoutLogins(
  ctx: BenchContext,
  oneLogin: () => Promise<void>,
  key: string,
  label: string,
  load: HttpLoad,
  rate: number,
): Phase[] {
  const { workers } = ctx.settings;
  const during = { logins: 0, seconds: 0 };
  const paths = load.paths ?? [""];
  const paced = (seconds: number) =>
    pacedHttpLoad({ url: load.url, paths, expectStatus: load.expectStatus }, rate, seconds);
  return [
    {
      key: `${key}-paced`,
      name: () => `${label} paced at ${rate} req/s, alone`,
      unit: "req/s",
      server: ctx.local,
      run: paced,
    },
    {
      key: `${key}-with-logins`,
      name: () =>
        `${label} paced at ${rate} req/s, ${workers} logins in flight (${(during.logins / during.seconds).toFixed(1)} logins/s)`,
      unit: "req/s",
      server: ctx.local,
      run: async (seconds) => {
        const stop = new AbortController();
        const background = loops(workers, seconds + 60, oneLogin, stop.signal);
        let sample: Sample;
        try {
          // Every worker is inside bcrypt before the first measured request.
          await sleep(300);
          sample = await paced(seconds);
        } finally {
          stop.abort();
        }
        const logins = await background;
        during.logins += logins.latencies.count;
        during.seconds += logins.seconds;
        return sample;
      },
    },
  ];
}

/**
 * An eighth of what the server answers flat out: well inside its capacity, also while bcrypt takes most of the
 * CPU, so p99 shows waiting caused by the logins rather than a queue we built ourselves.
 */
async function pacedRate(load: HttpLoad, duration: number): Promise<number> {
  const probe = await httpLoad(load, Math.max(1, Math.min(3, duration)));
  return Math.max(50, Math.round(probe.latencies.count / probe.seconds / 8 / 50) * 50);
}

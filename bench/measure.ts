import { Latencies, type Sample } from "./load.js";
import type { Settings } from "./options.js";
import { type ChildServer, cpuSecondsOf } from "./processes.js";

export type Unit =
  "req/s" | "MB/s" | "uploads/s" | "logins/s" | "hashes/s" | "events/s" | "subscriptions/s" | "images/s";

/** A scenario's numbers over all its rounds. */
export interface Measurement {
  /** Operations that completed as expected. */
  count: number;
  /** Measured wall time, seconds. */
  seconds: number;
  /** Operations per second. */
  rate: number;
  /** Latency percentiles, milliseconds. */
  p50: number;
  p99: number;
  /** Bytes moved per operation (byte scenarios); 0 otherwise. */
  bytesPerOp: number;
  /** CPU time the server process used per operation, microseconds (all its threads); null without a server. */
  serverCpuUs: number | null;
  /** Largest RSS of the server process sampled during the measured phase, bytes; null without a server. */
  serverRss: number | null;
}

/** One measured scenario, as printed. */
export interface Row {
  key: string;
  name: string;
  unit: Unit;
  measurement: Measurement;
}

/** A scenario that can run for any number of seconds, any number of times; its stretches are merged. */
export interface Phase {
  key: string;
  /** Read after the rounds, so it may mention what was measured. */
  name(): string;
  unit: Unit;
  /** Whose RSS and CPU to sample, if any. */
  server: ChildServer | null;
  bytesPerOp?: number;
  run(seconds: number): Promise<Sample>;
}

/**
 * Runs each phase for the warm-up (discarded), then measures them in interleaved rounds (A B C A B C …), each
 * round `duration / rounds` seconds long, so drift in what else the shared machine is doing lands on every side of a
 * comparison alike.
 */
export async function measurePhases(
  settings: Settings,
  phases: readonly Phase[],
  log: (message: string) => void,
): Promise<Row[]> {
  for (const phase of phases) {
    if (settings.warmup <= 0) break;
    log(`${phase.key}: warm-up ${settings.warmup} s`);
    await phase.run(settings.warmup);
  }
  const acc = phases.map(() => ({ samples: [] as Sample[], rss: null as number | null, cpuSeconds: 0 }));
  for (let round = 0; round < settings.rounds; round++) {
    for (const [i, phase] of phases.entries()) {
      log(`${phase.key}: round ${round + 1}/${settings.rounds}, ${(settings.duration / settings.rounds).toFixed(1)} s`);
      const watch = phase.server ? watchServer(phase.server) : null;
      let sample: Sample | undefined;
      try {
        sample = await phase.run(settings.duration / settings.rounds);
      } finally {
        const seen = watch?.stop();
        if (seen) {
          acc[i]!.cpuSeconds += sample?.serverCpuSeconds ?? seen.cpuSeconds;
          if (seen.rss !== null && (acc[i]!.rss === null || seen.rss > acc[i]!.rss!)) acc[i]!.rss = seen.rss;
        }
      }
      acc[i]!.samples.push(sample);
    }
  }
  return phases.map((phase, i) => {
    const latencies = new Latencies();
    for (const sample of acc[i]!.samples) latencies.addAll(sample.latencies);
    const seconds = acc[i]!.samples.reduce((sum, sample) => sum + sample.seconds, 0);
    const count = latencies.count;
    return {
      key: phase.key,
      name: phase.name(),
      unit: phase.unit,
      measurement: {
        count,
        seconds,
        rate: count / seconds,
        p50: latencies.percentile(0.5),
        p99: latencies.percentile(0.99),
        bytesPerOp: phase.bytesPerOp ?? 0,
        serverCpuUs: phase.server ? (acc[i]!.cpuSeconds * 1e6) / count : null,
        serverRss: phase.server ? acc[i]!.rss : null,
      },
    };
  });
}

/** Samples the server's RSS every 200 ms and its CPU time at both ends, until stopped. */
function watchServer(server: ChildServer): { stop(): { rss: number | null; cpuSeconds: number } } {
  const cpuAtStart = cpuSecondsOf(server.pid);
  let max: number | null = server.rss();
  const sample = () => {
    const now = server.rss();
    if (now !== null && (max === null || now > max)) max = now;
  };
  const timer = setInterval(sample, 200);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const cpuAtEnd = cpuSecondsOf(server.pid);
      return { rss: max, cpuSeconds: cpuAtStart !== null && cpuAtEnd !== null ? cpuAtEnd - cpuAtStart : 0 };
    },
  };
}

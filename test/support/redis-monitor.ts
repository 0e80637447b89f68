import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/**
 * The commands Redis at `redisUrl` receives while `action` runs that name `needle` in an argument (a key's hash
 * tag, say), as MONITOR sees them: counting every command would also count the workers' own queue scripts. A
 * marker command sent afterwards shows the monitor has caught up.
 */
export async function commandsNaming(
  redisUrl: string,
  needle: string,
  action: () => Promise<void>,
): Promise<string[][]> {
  const monitor = await new Redis(redisUrl).monitor();
  const marker = new Redis(redisUrl);
  const seen: string[][] = [];
  const caughtUp = `caught-up-${randomBytes(8).toString("hex")}`;
  monitor.on("monitor", (_time: string, args: string[]) => seen.push(args));
  try {
    await action();
    await marker.echo(caughtUp);
    const deadline = Date.now() + 5_000;
    while (!seen.some((args) => args.includes(caughtUp))) {
      if (Date.now() > deadline) throw new Error("MONITOR did not catch up");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return seen.filter((args) => !args.includes(caughtUp) && args.some((arg) => arg.includes(needle)));
  } finally {
    monitor.disconnect();
    marker.disconnect();
  }
}

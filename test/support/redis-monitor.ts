import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** A command as MONITOR saw it: its arguments, and whether a Lua script sent it (else a client did). */
export interface MonitoredCommand {
  readonly args: string[];
  readonly fromScript: boolean;
}

/** The arguments of the commands `monitoredCommands` reports. */
export async function commandsNaming(
  redisUrl: string,
  needle: string,
  action: () => Promise<void>,
): Promise<string[][]> {
  return (await monitoredCommands(redisUrl, needle, action)).map((command) => command.args);
}

/**
 * The commands Redis at `redisUrl` receives while `action` runs that name `needle` in an argument (a key's hash
 * tag, say), as MONITOR sees them: counting every command would also count the workers' own queue scripts. A
 * marker command sent afterwards shows the monitor has caught up.
 */
export async function monitoredCommands(
  redisUrl: string,
  needle: string,
  action: () => Promise<void>,
): Promise<MonitoredCommand[]> {
  const monitor = await new Redis(redisUrl).monitor();
  const marker = new Redis(redisUrl);
  const seen: MonitoredCommand[] = [];
  const caughtUp = `caught-up-${randomBytes(8).toString("hex")}`;
  monitor.on("monitor", (_time: string, args: string[], source: string) =>
    seen.push({ args, fromScript: source === "lua" }),
  );
  try {
    await action();
    await marker.echo(caughtUp);
    const deadline = Date.now() + 5_000;
    while (!seen.some(({ args }) => args.includes(caughtUp))) {
      if (Date.now() > deadline) throw new Error("MONITOR did not catch up");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return seen.filter(({ args }) => !args.includes(caughtUp) && args.some((arg) => arg.includes(needle)));
  } finally {
    monitor.disconnect();
    marker.disconnect();
  }
}

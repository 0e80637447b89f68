import type { ImageEvent } from "../../client/live.js";
import { defineCommand, intFlag } from "../command.js";
import { usageError } from "../errors.js";
import { printable } from "../format.js";

export const watch = defineCommand({
  name: "watch",
  summary: "Print your image events as they happen (uploads, processing, deletions)",
  usage: ["watch [--count N] [--json]"],
  description:
    "One line per event on stdout: KIND, image id, then the filename and link (none for DELETED). --json prints\n" +
    "one JSON object per line ({kind, imageId, image}). Runs until Ctrl-C, or until --count events have arrived.\n" +
    "Reconnects by itself when the server restarts or Redis is away; events in between are not replayed (a note\n" +
    "on stderr says so).",
  options: {
    count: { type: "string", short: "n" },
  },
  optionHelp: [["-n, --count N", "exit after N events"]],
  examples: ["imagehost watch", "imagehost watch --json | jq -r 'select(.kind == \"READY\") | .image.url'"],
  async run(context, { values, positionals }) {
    if (positionals.length > 0) throw usageError("`imagehost watch` takes no arguments. Run `imagehost watch --help`.");
    const count = values.count === undefined ? null : intFlag("count", values.count, 1, 1, 1_000_000);
    const client = context.authenticatedClient();
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const stopSignals = () => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      };
      const finish = (error?: unknown) => {
        stopSignals();
        stop();
        void client.closeLive().finally(() => (error === undefined ? resolve() : reject(error)));
      };
      const onSignal = () => finish();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const stop = client.imageEvents({
        onConnected: (reconnected) =>
          context.info(
            reconnected
              ? `Reconnected to ${context.server}; events in between were missed (run \`imagehost ls\` to catch up).`
              : `Watching ${context.server} for image events (Ctrl-C to stop).`,
          ),
        onEvent: (event) => {
          if (context.json) context.io.stdout.write(`${JSON.stringify(event)}\n`);
          else context.print(eventLine(event));
          if (count !== null && ++seen >= count) finish();
        },
        onError: (error) => finish(error),
      });
    });
  },
});

function eventLine(event: ImageEvent): string {
  const parts = [event.kind.padEnd(7), event.imageId];
  if (event.image) parts.push(printable(event.image.filename), event.image.url);
  return parts.join("  ");
}

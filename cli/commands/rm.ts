import { defineCommand } from "../command.js";
import { type CliError, toCliError, usageError } from "../errors.js";
import { printable } from "../format.js";

export const rm = defineCommand({
  name: "rm",
  summary: "Delete images (their links stop working at once)",
  usage: ["rm <id>..."],
  description:
    "Prints each deleted id on stdout. An id that is not one of your images is reported (exit 4) and the others\n" +
    "are still deleted.",
  options: {},
  examples: ["imagehost rm 3q2-xPZ8aHkQb0Vn", "imagehost ls --json | jq -r '.images[].id' | xargs imagehost rm"],
  async run(context, { positionals }) {
    if (positionals.length === 0) throw usageError("Name at least one image id. Run `imagehost rm --help`.");
    const client = context.authenticatedClient();
    const results: { id: string; deleted: boolean; error?: string }[] = [];
    let firstFailure: CliError | undefined;
    for (const id of new Set(positionals)) {
      try {
        await client.deleteImage(id);
        results.push({ id, deleted: true });
        if (!context.json) context.print(id);
      } catch (error) {
        const failure = toCliError(error, context.authHint);
        firstFailure ??= failure;
        results.push({ id, deleted: false, error: failure.message });
        context.reportError(`${printable(id)}: ${failure.message}`);
      }
    }
    if (context.json) context.printJson(results);
    if (firstFailure) {
      const failed = results.filter((r) => !r.deleted).length;
      firstFailure.message = `${failed} of ${results.length} images not deleted.`;
      throw firstFailure;
    }
  },
});

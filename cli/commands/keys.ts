import { defineCommand } from "../command.js";
import type { Context } from "../context.js";
import { usageError } from "../errors.js";
import { shortDate, table } from "../format.js";

export const keys = defineCommand({
  name: "keys",
  summary: "List, create and revoke API keys",
  usage: ["keys [ls]", "keys create <name>", "keys revoke <id>"],
  description:
    "API keys are long-lived credentials for scripts and other tools (send as X-API-Key or Authorization: Bearer,\n" +
    "or set IMAGEHOST_API_KEY for this command). `create` prints the secret on stdout once: store it then.\n" +
    "Login sessions are not listed. `imagehost keys` alone is `imagehost keys ls`.",
  options: {},
  examples: ["imagehost keys ls", "imagehost keys create laptop", "imagehost keys revoke KEY_ID"],
  async run(context, { positionals }) {
    const [sub, ...rest] = positionals;
    switch (sub) {
      // Bare `keys` lists, as `git branch` does: listing is the one thing it can do without more words.
      case undefined:
      case "ls":
      case "list":
        if (rest.length > 0) throw usageError("`imagehost keys ls` takes no arguments.");
        return list(context);
      case "create":
        if (rest.length !== 1 || rest[0]!.trim() === "") throw usageError("Usage: imagehost keys create <name>");
        return create(context, rest[0]!);
      case "revoke":
        if (rest.length !== 1) throw usageError("Usage: imagehost keys revoke <id>");
        return revoke(context, rest[0]!);
      default:
        throw usageError(`Unknown keys command "${sub}": use ls, create or revoke.`);
    }
  },
});

async function list(context: Context): Promise<void> {
  const apiKeys = await context.authenticatedClient().apiKeys();
  if (context.json) return context.printJson(apiKeys);
  if (apiKeys.length === 0) return context.info("No API keys: create one with `imagehost keys create NAME`.");
  context.print(
    table(
      ["ID", "NAME", "CREATED", "LAST USED", "EXPIRES"],
      apiKeys.map((k) => [
        k.id,
        k.name,
        shortDate(k.createdAt),
        shortDate(k.lastUsedAt),
        k.expiresAt === null ? "never" : shortDate(k.expiresAt),
      ]),
    ),
  );
}

async function create(context: Context, name: string): Promise<void> {
  const created = await context.authenticatedClient().createApiKey(name);
  if (context.json) context.printJson(created);
  else context.print(created.key);
  context.info(
    `Created API key "${created.apiKey.name}" (id ${created.apiKey.id}). This is the only time its secret is shown: store it now.`,
  );
}

async function revoke(context: Context, id: string): Promise<void> {
  await context.authenticatedClient().revokeApiKey(id);
  if (context.json) context.printJson({ id, revoked: true });
  context.info(`Revoked API key ${id}.`);
}

import type { Visibility } from "../../client/generated/graphql.js";
import { defineCommand, expectPositionals } from "../command.js";
import { usageError } from "../errors.js";

export const visibility = defineCommand({
  name: "visibility",
  summary: "Make one of your images public or private",
  usage: ["visibility <id> public|private"],
  description:
    "A private image's link answers 404 to everyone; you still see it in `imagehost ls` and the web app, and albums\n" +
    "and share links still show it. Prints the image's link.",
  options: {},
  examples: ["imagehost visibility 3q2-xPZ8aHkQb0Vn private", "imagehost visibility 3q2-xPZ8aHkQb0Vn public"],
  async run(context, { positionals }) {
    const [id, wanted] = expectPositionals("visibility", positionals, ["id", "public|private"]) as [string, string];
    const value = wanted.toLowerCase();
    if (value !== "public" && value !== "private")
      throw usageError(`Visibility is "public" or "private", not "${wanted}".`);
    const image = await context.authenticatedClient().setImageVisibility(id, value.toUpperCase() as Visibility);
    if (context.json) context.printJson(image);
    else context.print(`${image.url} ${image.visibility.toLowerCase()}`);
  },
});

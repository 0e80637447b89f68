import type { Image, ImageConnection } from "../../client/image-host-client.js";
import { defineCommand, intFlag } from "../command.js";
import { usageError } from "../errors.js";
import { humanSize, shortDate, table } from "../format.js";

export const ls = defineCommand({
  name: "ls",
  summary: "List your images, newest first",
  usage: ["ls [--limit N] [--after CURSOR]", "ls --all"],
  description:
    "Prints one page (20 images unless --limit says otherwise) and, when there are more, the command for the next\n" +
    "page on stderr. --all fetches every page. --json prints { totalCount, images, pageInfo }. STATUS is\n" +
    "processing (just uploaded: metadata is being removed and thumbnails made), ready, or failed (see `--json`'s\n" +
    "failureReason).",
  options: {
    limit: { type: "string", short: "n" },
    after: { type: "string" },
    all: { type: "boolean", short: "a" },
  },
  optionHelp: [
    ["-n, --limit N", "images per page (1-100, default 20)"],
    ["--after CURSOR", "the page after this cursor (pageInfo.endCursor of the previous page)"],
    ["-a, --all", "every image, all pages"],
  ],
  examples: ["imagehost ls", "imagehost ls --limit 50 --after CURSOR", "imagehost ls --all --json"],
  async run(context, { values, positionals }) {
    if (positionals.length > 0) throw usageError("`imagehost ls` takes no arguments. Run `imagehost ls --help`.");
    if (values.all && values.after !== undefined) throw usageError("Use either --all or --after, not both.");
    const limit = intFlag("limit", values.limit, 20, 1, 100);
    const client = context.authenticatedClient();

    let images: Image[];
    let totalCount: number;
    let pageInfo: ImageConnection["pageInfo"];
    if (values.all) {
      images = [];
      for await (const image of client.allImages(values.limit === undefined ? 100 : limit)) images.push(image);
      totalCount = images.length;
      pageInfo = { hasNextPage: false, endCursor: null };
    } else {
      const page = await client.myImages({ first: limit, after: values.after ?? null });
      images = page.edges.map((edge) => edge.node);
      totalCount = page.totalCount;
      pageInfo = page.pageInfo;
    }

    if (context.json) {
      context.printJson({ totalCount, images, pageInfo });
      return;
    }
    if (images.length === 0) {
      context.info(
        values.after === undefined ? "No images yet: add some with `imagehost upload FILE`." : "No more images.",
      );
      return;
    }
    context.print(
      table(
        ["ID", "STATUS", "CREATED", "SIZE", "PIXELS", "TYPE", "NAME"],
        images.map((i) => [
          i.id,
          i.status.toLowerCase(),
          shortDate(i.createdAt),
          humanSize(i.size),
          `${i.width}x${i.height}`,
          i.contentType.replace(/^image\//, ""),
          i.filename,
        ]),
      ),
    );
    if (pageInfo.hasNextPage && pageInfo.endCursor !== null) {
      context.info(
        `${images.length} of ${totalCount}. Next page: imagehost ls --limit ${limit} --after ${pageInfo.endCursor}`,
      );
    }
  },
});

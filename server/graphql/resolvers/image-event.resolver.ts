import { Resolver, Root, Subscription } from "type-graphql";
import type { ImageEvent as ImageEventRecord } from "../../ports/image-events.js";
import type { ImageService } from "../../services/image.service.js";
import { type GraphQLContext, requireLive, requireViewer } from "../context.js";
import { toImageEvent } from "../mappers.js";
import { ImageEvent } from "../types/image-event.type.js";

@Resolver()
export class ImageEventResolver {
  constructor(private readonly images: ImageService) {}

  @Subscription(() => ImageEvent, {
    description:
      "Events of your own images, from now on (over WebSocket, graphql-ws protocol). Not replayed: after a " +
      "reconnect, refetch what you show.",
    subscribe: async ({ context }: { context: GraphQLContext }) =>
      requireLive(context).watch(await requireViewer(context)),
  })
  imageEvents(@Root() event: ImageEventRecord): ImageEvent {
    return toImageEvent(event, this.images);
  }
}

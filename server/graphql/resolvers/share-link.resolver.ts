import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { ShareLinkService } from "../../services/share-link.service.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import { toShareLink } from "../mappers.js";
import { CreateShareLinkInput, ShareLink } from "../types/share-link.type.js";

@Resolver()
export class ShareLinkResolver {
  constructor(private readonly shares: ShareLinkService) {}

  @Mutation(() => ShareLink, { description: "A new link to one of your images or albums; `url` is shown this once." })
  async createShareLink(
    @Ctx() context: GraphQLContext,
    @Arg("input", () => CreateShareLinkInput) input: CreateShareLinkInput,
  ): Promise<ShareLink> {
    const { link, token } = await this.shares.createShareLink(await requireViewer(context), {
      ...input,
      expiresAt: input.expiresAt ? input.expiresAt.getTime() : null,
    });
    return toShareLink(link, { token, url: this.shares.urlFor(token) });
  }

  @Query(() => [ShareLink], { description: "Your links to one of your images or albums (give exactly one id)." })
  async shareLinks(
    @Ctx() context: GraphQLContext,
    @Arg("imageId", () => ID, { nullable: true }) imageId: string | null,
    @Arg("albumId", () => ID, { nullable: true }) albumId: string | null,
  ): Promise<ShareLink[]> {
    const links = await this.shares.listShareLinks(await requireViewer(context), { imageId, albumId });
    return links.map((link) => toShareLink(link));
  }

  @Mutation(() => ShareLink, { description: "Stops one of your links at once (410 from the next request on)." })
  async revokeShareLink(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<ShareLink> {
    return toShareLink(await this.shares.revokeShareLink(await requireViewer(context), id));
  }
}

import { Float, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { AdminService, UserSummary } from "../../services/admin.service.js";
import { User } from "../types/user.type.js";

/** The User fields that need the profile or usage counters, loaded once per User object and only when asked. */
@Resolver(() => User)
export class UserResolver {
  constructor(private readonly admin: AdminService) {}

  private summary(user: User): Promise<UserSummary | null> {
    return (user.summary ??= this.admin.summaryOf(user.id));
  }

  @FieldResolver(() => Date, { nullable: true, description: "When the account was made." })
  async createdAt(@Root() user: User): Promise<Date | null> {
    const summary = await this.summary(user);
    return summary ? new Date(summary.profile.createdAt) : null;
  }

  @FieldResolver(() => Date, { nullable: true, description: "Last request with one of the user's credentials." })
  async lastSeenAt(@Root() user: User): Promise<Date | null> {
    const seen = (await this.summary(user))?.profile.lastSeenAt ?? null;
    return seen === null ? null : new Date(seen);
  }

  @FieldResolver(() => Boolean, { description: "Disabled by an admin: the user's keys and sessions are refused." })
  async disabled(@Root() user: User): Promise<boolean> {
    return (await this.summary(user))?.profile.disabled ?? false;
  }

  @FieldResolver(() => Int, { description: "Images stored." })
  async imageCount(@Root() user: User): Promise<number> {
    return (await this.summary(user))?.imageCount ?? 0;
  }

  @FieldResolver(() => Float, { description: "Bytes of the images stored." })
  async bytesUsed(@Root() user: User): Promise<number> {
    return (await this.summary(user))?.bytesUsed ?? 0;
  }
}

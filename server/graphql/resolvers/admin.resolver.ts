import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { AdminService } from "../../services/admin.service.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import { toInvite, toSummarizedUser, toUserConnection } from "../mappers.js";
import { CreateInviteInput, Invite } from "../types/invite.type.js";
import { InstanceStats, User, UserConnection } from "../types/user.type.js";

/** Admin-only operations (ADMIN_USERNAMES); everyone else gets FORBIDDEN. Each change is in the audit log. */
@Resolver()
export class AdminResolver {
  constructor(private readonly admin: AdminService) {}

  @Query(() => UserConnection, { description: "Admins only: users, newest first, optionally by part of the name." })
  async users(
    @Ctx() context: GraphQLContext,
    @Arg("first", () => Int, { defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("search", () => String, { nullable: true, description: "Part of the username, any case." })
    search: string | null,
  ): Promise<UserConnection> {
    return toUserConnection(
      await this.admin.listUsers(await requireViewer(context), first, after ?? null, search ?? null),
    );
  }

  @Mutation(() => User, { description: "Admins only: a disabled user's keys and sessions stop working at once." })
  async setUserDisabled(
    @Ctx() context: GraphQLContext,
    @Arg("id", () => ID) id: string,
    @Arg("disabled", () => Boolean) disabled: boolean,
  ): Promise<User> {
    return toSummarizedUser(await this.admin.setUserDisabled(await requireViewer(context), id, disabled));
  }

  @Mutation(() => Boolean, { description: "Admins only: deletes the user and everything of theirs." })
  async deleteUser(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<boolean> {
    await this.admin.deleteUser(await requireViewer(context), id);
    return true;
  }

  @Mutation(() => Boolean, { description: "Admins only: takes any image down." })
  async adminDeleteImage(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<boolean> {
    await this.admin.deleteImage(await requireViewer(context), id);
    return true;
  }

  @Query(() => InstanceStats, { description: "Admins only: totals of the instance." })
  async instanceStats(@Ctx() context: GraphQLContext): Promise<InstanceStats> {
    return Object.assign(new InstanceStats(), await this.admin.instanceStats(await requireViewer(context)));
  }

  @Mutation(() => Invite, { description: "Admins only: a new one-use invite code, shown only in this answer." })
  async createInvite(
    @Ctx() context: GraphQLContext,
    @Arg("input", () => CreateInviteInput) input: CreateInviteInput,
  ): Promise<Invite> {
    const { record, code } = await this.admin.createInvite(await requireViewer(context), {
      expiresAt: input.expiresAt ?? null,
      note: input.note ?? null,
    });
    return toInvite(record, code);
  }

  @Query(() => [Invite], { description: "Admins only: every invite, oldest first (codes are not shown again)." })
  async invites(@Ctx() context: GraphQLContext): Promise<Invite[]> {
    return (await this.admin.listInvites(await requireViewer(context))).map((record) => toInvite(record));
  }

  @Mutation(() => Boolean, { description: "Admins only: the invite's code stops working." })
  async revokeInvite(@Ctx() context: GraphQLContext, @Arg("id", () => ID) id: string): Promise<boolean> {
    await this.admin.revokeInvite(await requireViewer(context), id);
    return true;
  }
}

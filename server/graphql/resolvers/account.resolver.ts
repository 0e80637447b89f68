import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { AccountService } from "../../services/account.service.js";
import type { CredentialService } from "../../services/credential.service.js";
import type { OwnAccountService } from "../../services/own-account.service.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import { toAuthPayload, toUser } from "../mappers.js";
import { AuthPayload } from "../types/auth-payload.type.js";
import { User } from "../types/user.type.js";

@Resolver()
export class AccountResolver {
  constructor(
    private readonly accounts: AccountService,
    private readonly credentials: CredentialService,
    private readonly ownAccount: OwnAccountService,
  ) {}

  @Query(() => User, { nullable: true, description: "The authenticated user; null when no credential is sent." })
  async me(@Ctx() context: GraphQLContext): Promise<User | null> {
    const viewer = await context.viewer();
    return viewer && toUser(viewer.userId, viewer.username, viewer.isAdmin);
  }

  @Mutation(() => AuthPayload, {
    description:
      "Creates an account and logs it in. With REGISTRATION=invite an unused invite code is required; with " +
      "REGISTRATION=closed registering is refused (FORBIDDEN). Names in ADMIN_USERNAMES may always register.",
  })
  async register(
    @Ctx() context: GraphQLContext,
    @Arg("username", () => String) username: string,
    @Arg("password", () => String, { description: "8 to 72 UTF-8 bytes; very common passwords are refused." })
    password: string,
    @Arg("inviteCode", () => String, { nullable: true, description: "An invite code from an admin (inv_…)." })
    inviteCode: string | null,
  ): Promise<AuthPayload> {
    const issued = await this.accounts.register(username, password, context, inviteCode ?? null);
    return toAuthPayload(issued, this.credentials.isAdminName(issued.record.username));
  }

  @Mutation(() => AuthPayload, { description: "Mints a new session credential." })
  async login(
    @Ctx() context: GraphQLContext,
    @Arg("username", () => String) username: string,
    @Arg("password", () => String) password: string,
  ): Promise<AuthPayload> {
    const issued = await this.accounts.login(username, password, context);
    return toAuthPayload(issued, this.credentials.isAdminName(issued.record.username));
  }

  @Mutation(() => Boolean, { description: "Revokes the credential this request used." })
  async logout(@Ctx() context: GraphQLContext): Promise<boolean> {
    await this.credentials.logout(await requireViewer(context));
    return true;
  }

  @Mutation(() => Boolean, {
    description: "Sets a new password (same rules as at registration). Other sessions are revoked; API keys kept.",
  })
  async changePassword(
    @Ctx() context: GraphQLContext,
    @Arg("current", () => String) current: string,
    @Arg("next", () => String) next: string,
  ): Promise<boolean> {
    await this.ownAccount.changePassword(await requireViewer(context), current, next);
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      "Deletes your account and everything of it: images and their bytes, keys, sessions. The username is free " +
      "again afterwards. Cannot be undone.",
  })
  async deleteAccount(
    @Ctx() context: GraphQLContext,
    @Arg("password", () => String) password: string,
  ): Promise<boolean> {
    await this.ownAccount.deleteAccount(await requireViewer(context), password);
    return true;
  }
}

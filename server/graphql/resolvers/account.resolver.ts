import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { AccountService } from "../../services/account.service.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import { toAuthPayload, toUser } from "../mappers.js";
import { AuthPayload } from "../types/auth-payload.type.js";
import { User } from "../types/user.type.js";

@Resolver()
export class AccountResolver {
  constructor(private readonly accounts: AccountService) {}

  @Query(() => User, { nullable: true, description: "The authenticated user; null when no credential is sent." })
  async me(@Ctx() context: GraphQLContext): Promise<User | null> {
    const viewer = await context.viewer();
    return viewer && toUser(viewer.userId, viewer.username);
  }

  @Mutation(() => AuthPayload, { description: "Creates an account and logs it in." })
  async register(
    @Ctx() context: GraphQLContext,
    @Arg("username", () => String) username: string,
    @Arg("password", () => String, { description: "8 to 72 UTF-8 bytes; very common passwords are refused." })
    password: string,
  ): Promise<AuthPayload> {
    return toAuthPayload(await this.accounts.register(username, password, context));
  }

  @Mutation(() => AuthPayload, { description: "Mints a new session credential." })
  async login(
    @Ctx() context: GraphQLContext,
    @Arg("username", () => String) username: string,
    @Arg("password", () => String) password: string,
  ): Promise<AuthPayload> {
    return toAuthPayload(await this.accounts.login(username, password, context));
  }

  @Mutation(() => Boolean, { description: "Revokes the credential this request used." })
  async logout(@Ctx() context: GraphQLContext): Promise<boolean> {
    await this.accounts.logout(await requireViewer(context));
    return true;
  }
}

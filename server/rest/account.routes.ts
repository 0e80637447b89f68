import type { AccountService } from "../services/account.service.js";
import type { IssuedCredential } from "../services/credential.service.js";
import type { RestHandlers } from "./route-table.js";

/** POST /api/v1/register and /api/v1/login: both answer with a new session credential. */
export function accountHandlers(accounts: AccountService): Pick<RestHandlers, "register" | "login"> {
  return {
    register: async ({ body, clientIp }) =>
      toAuthReply(await accounts.register(body.username, body.password, { clientIp }, body.invite_code ?? null)),
    login: async ({ body, clientIp }) => toAuthReply(await accounts.login(body.username, body.password, { clientIp })),
  };
}

function toAuthReply(issued: IssuedCredential) {
  return { api_key: issued.secret, username: issued.record.username };
}

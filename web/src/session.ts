/**
 * The web session: log in, register and log out through /web/session, which keep the credential in an httpOnly
 * cookie. These calls are not GraphQL, so they are the app's only hand-written requests.
 */
import type { UserFieldsFragment } from "../../client/generated/graphql.js";

class SessionError extends Error {
  override readonly name = "SessionError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export function logIn(username: string, password: string): Promise<UserFieldsFragment> {
  return startSession("/web/session", username, password);
}

/** `inviteCode`: required when the server takes registrations by invitation only; ignored otherwise. */
export function register(username: string, password: string, inviteCode: string | null): Promise<UserFieldsFragment> {
  return startSession("/web/register", username, password, inviteCode);
}

/** Revokes the session on the server and clears the cookie. */
export async function logOut(): Promise<void> {
  const response = await send("/web/session", { method: "DELETE" });
  if (!response.ok) throw await errorOf(response);
}

async function startSession(
  path: string,
  username: string,
  password: string,
  inviteCode: string | null = null,
): Promise<UserFieldsFragment> {
  const response = await send(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(inviteCode === null ? { username, password } : { username, password, inviteCode }),
  });
  if (!response.ok) throw await errorOf(response);
  const body = (await response.json()) as { user: UserFieldsFragment };
  return body.user;
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { ...init, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new SessionError("Cannot reach the server. Check your connection and try again.", 0, "network");
  }
}

/** A sentence for the person at the keyboard, from the server's `{"error": {"code", "message"}}`. */
async function errorOf(response: Response): Promise<SessionError> {
  let code = "internal";
  let message = "";
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? "";
  } catch {
    // not our JSON: a proxy's error page
  }
  switch (response.status) {
    case 401:
      return new SessionError("Wrong username or password.", 401, code);
    case 409:
      return new SessionError("That username is taken. Please choose another one.", 409, code);
    case 429:
      // The server's sentence says which limit and how long; the fallback covers a proxy's 429.
      return new SessionError(
        message || `Too many attempts. Please wait ${waitText(response.headers.get("retry-after"))} and try again.`,
        429,
        code,
      );
    case 400:
    case 403:
      return new SessionError(message || "The server refused the request.", response.status, code);
    default:
      return new SessionError(
        response.status >= 500
          ? "The server is having trouble right now. Please try again in a moment."
          : message || `The server answered ${response.status}.`,
        response.status,
        code,
      );
  }
}

function waitText(retryAfter: string | null): string {
  const seconds = Number(retryAfter);
  if (!Number.isFinite(seconds) || seconds <= 0) return "a little while";
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

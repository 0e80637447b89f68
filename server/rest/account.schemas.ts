import { z } from "zod";
import type { RouteSpec } from "./route-spec.js";

/** The account routes (handlers in account.routes.ts). */

const credentials = z.object({
  username: z.string().describe("3–32 of A–Z a–z 0–9 _ . - (after NFKC); unique ignoring case."),
  password: z.string().describe("8 to 72 bytes of UTF-8; very common passwords are refused at registration."),
});

const authReply = z.object({
  api_key: z.string().describe("A new session credential (starts with ih_); send it as X-API-Key. Shown once."),
  username: z.string().describe("The account's username, as registered."),
});

export const accountRoutes = {
  register: {
    method: "POST",
    path: "/api/v1/register",
    tag: "accounts",
    summary: "Create an account; logs it in.",
    auth: false,
    body: credentials.extend({
      invite_code: z
        .string()
        .optional()
        .describe("An invite code from an admin (inv_…); required when the server runs with REGISTRATION=invite."),
    }),
    success: { status: 200, description: "Registered and logged in.", body: authReply },
    errors: {
      400: "Missing or malformed fields; username or password not acceptable.",
      403: "Registration is closed, or needs a valid, unused invite code.",
      409: "The username is taken.",
      413: "Body over 100 KB.",
      429: "Too many registrations from this address.",
      503: "Redis is unavailable.",
    },
  },
  login: {
    method: "POST",
    path: "/api/v1/login",
    tag: "accounts",
    summary: "Log in; mints a new session API key.",
    auth: false,
    body: credentials,
    success: { status: 200, description: "Logged in.", body: authReply },
    errors: {
      400: "Missing or malformed fields.",
      401: "Wrong username or password (the same answer for both).",
      413: "Body over 100 KB.",
      429: "Too many failed logins for this username or address.",
      503: "Redis is unavailable.",
    },
  },
} as const satisfies Record<string, RouteSpec>;

import { randomBytes } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { type ExecutionReport, executionChannel } from "../../server/graphql/execution/planned-executor.js";

/** A GraphQL response as a client sees it. */
export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors:
    | { message: string; extensions?: { code?: string; requestId?: string; [k: string]: unknown }; path?: string[] }[]
    | undefined;
}

/** POSTs one operation over real HTTP, with the credential (if any) in X-API-Key. */
export async function gql<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  credential?: string | { header: string; value: string },
): Promise<GraphQLResult<T>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (typeof credential === "string") headers["x-api-key"] = credential;
  else if (credential) headers[credential.header] = credential.value;
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T | null; errors?: GraphQLResult["errors"] };
  return { status: response.status, data: body.data, errors: body.errors };
}

/** The single error code of a result, or undefined when it succeeded. */
export function errorCode(result: GraphQLResult<unknown>): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}

/** A username unique to this test run (64 random bits), valid under SEC-1. */
export function uniqueUsername(prefix = "user"): string {
  return `${prefix.slice(0, 12)}_${randomBytes(8).toString("hex")}`;
}

/** What the GraphQL executor reported (plan or graphql-js) for each operation `run` executed in this process. */
export async function executionReportsOf(run: () => Promise<void>): Promise<ExecutionReport[]> {
  const reports: ExecutionReport[] = [];
  const listener = (message: unknown) => reports.push(message as ExecutionReport);
  subscribe(executionChannel.name, listener);
  try {
    await run();
  } finally {
    unsubscribe(executionChannel.name, listener);
  }
  return reports;
}

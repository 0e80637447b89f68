import { channel } from "node:diagnostics_channel";
import type { GatewayInterface } from "@apollo/server-gateway-interface";
import {
  type DocumentNode,
  execute,
  type ExecutionResult,
  getVariableValues,
  type GraphQLSchema,
  printSchema,
} from "graphql";
import { type OperationPlan, planOperation } from "./operation-plan.js";
import { executePlan } from "./plan-executor.js";

export interface ExecutionRequest {
  readonly document: DocumentNode;
  readonly operationName?: string | null;
  readonly variableValues?: Readonly<Record<string, unknown>> | null;
  readonly contextValue: unknown;
  /** Apollo passes none (the server sets no rootValue). */
  readonly rootValue?: unknown;
}

/** What `executionChannel` publishes for each operation, when anyone subscribes. */
export interface ExecutionReport {
  readonly operationName: string | null;
  /** True when the operation ran from its plan, false when graphql-js ran it. */
  readonly planned: boolean;
}

/** Which executor ran each operation (tests and diagnostics; publishing costs nothing without a subscriber). */
export const executionChannel = channel("imagehost:graphql:execution");

/**
 * Executes operations of validated documents (issue 16: GraphQL's listing cost per field): from a plan made once
 * per parsed document and operation (`planOperation`, run by `executePlan`), or with graphql-js's `execute` when
 * the operation has no plan or its variables do not coerce (graphql-js then answers with its own errors; nothing
 * has run yet). Plans are kept beside the document object, which Apollo reuses for the same query text, so they go
 * when Apollo's document cache lets the document go.
 */
export class PlannedExecutor {
  private readonly plans = new WeakMap<DocumentNode, Map<string | null, OperationPlan | null>>();

  constructor(private readonly schema: GraphQLSchema) {}

  execute(request: ExecutionRequest): ExecutionResult | Promise<ExecutionResult> {
    const { schema } = this;
    const { document, contextValue, rootValue } = request;
    const operationName = request.operationName ?? null;
    const plan = this.planFor(document, operationName);
    const variableValues = plan && coerceVariables(schema, plan, request.variableValues);
    if (executionChannel.hasSubscribers) {
      executionChannel.publish({ operationName, planned: Boolean(variableValues) } satisfies ExecutionReport);
    }
    if (plan && variableValues) return executePlan({ schema, plan, rootValue, contextValue, variableValues });
    return execute({
      schema,
      document,
      operationName,
      variableValues: request.variableValues,
      contextValue,
      rootValue,
    });
  }

  private planFor(document: DocumentNode, operationName: string | null): OperationPlan | null {
    let byName = this.plans.get(document);
    const known = byName?.get(operationName);
    if (known !== undefined) return known;
    const plan = planOperation(this.schema, document, operationName);
    // Only names the document has are remembered: a client sending made-up names must not grow the map.
    const named =
      operationName === null || document.definitions.some((d) => "name" in d && d.name?.value === operationName);
    if (named) {
      if (!byName) this.plans.set(document, (byName = new Map()));
      byName.set(operationName, plan);
    }
    return plan;
  }
}

/** The operation's variables as graphql-js coerces them; null when they do not coerce (graphql-js then says why). */
function coerceVariables(
  schema: GraphQLSchema,
  plan: OperationPlan,
  raw: ExecutionRequest["variableValues"],
): Record<string, unknown> | null {
  const definitions = plan.operation.variableDefinitions ?? [];
  // Without definitions graphql-js coerces nothing, whatever was sent.
  if (definitions.length === 0) return {};
  return getVariableValues(schema, definitions, raw ?? {}, { maxErrors: 50 }).coerced ?? null;
}

/**
 * Apollo Server's one seam for another executor is its gateway interface (made for federation): it still parses,
 * validates, runs every plugin hook and formats errors, and hands execution to `executor`.
 */
export function plannedExecutionGateway(schema: GraphQLSchema): GatewayInterface {
  const planned = new PlannedExecutor(schema);
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return {
        executor: async ({ document, request, context }) =>
          planned.execute({
            document,
            operationName: request.operationName,
            variableValues: request.variables,
            contextValue: context,
          }),
      };
    },
    async stop() {},
  };
}

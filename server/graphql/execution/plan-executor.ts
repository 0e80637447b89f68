import {
  type ExecutionResult,
  getArgumentValues,
  GraphQLError,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  locatedError,
  responsePathAsArray,
} from "graphql";
import { inspect } from "graphql/jsutils/inspect.js";
import type { Completion, FieldPlan, OperationPlan } from "./operation-plan.js";

type Path = GraphQLResolveInfo["path"];
type Fields = Record<string, unknown>;

export interface PlanRun {
  readonly schema: GraphQLSchema;
  readonly plan: OperationPlan;
  readonly rootValue: unknown;
  readonly contextValue: unknown;
  /** Coerced already (graphql's getVariableValues). */
  readonly variableValues: Record<string, unknown>;
}

/**
 * Runs a plan with graphql-js 16's execution semantics, step for step: the same resolver calls in the same order
 * with the same arguments, the same completion, the same errors at the same paths (null propagation and the
 * error bookkeeping of `execute` included), and the same `{ errors, data }` shape. What it saves is what
 * graphql-js repeats for every field of every object: the field's lookup, its info object and argument object
 * (built here only for a field with a resolver), the completion's type dispatch, and result objects without a
 * prototype, which V8 keeps in dictionary mode (slower to fill and to serialise). test/unit/plan-executor.test.ts
 * holds both executors' answers side by side.
 */
export function executePlan(run: PlanRun): ExecutionResult | Promise<ExecutionResult> {
  const errors = new CollectedErrors();
  const execution = new Execution(run, errors);
  try {
    const { plan } = run;
    const data = plan.serial
      ? execution.fieldsSerially(plan.fields, run.rootValue)
      : execution.fields(plan.fields, run.rootValue, undefined);
    if (isPromise(data)) {
      return data.then(
        (resolved) => response(resolved, errors.list),
        (error: unknown) => {
          errors.add(error as GraphQLError, undefined);
          return response(null, errors.list);
        },
      );
    }
    return response(data, errors.list);
  } catch (error) {
    errors.add(error as GraphQLError, undefined);
    return response(null, errors.list);
  }
}

function response(data: Fields | null, errors: readonly GraphQLError[]): ExecutionResult {
  return errors.length === 0 ? { data } : { errors, data };
}

class Execution {
  constructor(
    private readonly run: PlanRun,
    private readonly errors: CollectedErrors,
  ) {}

  fields(fields: readonly FieldPlan[], source: unknown, path: Path | undefined): Fields | Promise<Fields> {
    const results: Fields = {};
    let containsPromise = false;
    try {
      for (const field of fields) {
        const value = this.field(field, source, path);
        results[field.responseKey] = value;
        if (isPromise(value)) containsPromise = true;
      }
    } catch (error) {
      // Let the other fields' promises settle (they may reject too) before the error goes up.
      if (containsPromise) {
        return promiseForFields(results).finally(() => {
          throw error;
        });
      }
      throw error;
    }
    return containsPromise ? promiseForFields(results) : results;
  }

  fieldsSerially(fields: readonly FieldPlan[], source: unknown): Fields | Promise<Fields> {
    let results: Fields | Promise<Fields> = {};
    for (const field of fields) {
      results = isPromise(results)
        ? results.then((resolved) => this.serialStep(field, source, resolved))
        : this.serialStep(field, source, results);
    }
    return results;
  }

  private serialStep(field: FieldPlan, source: unknown, results: Fields): Fields | Promise<Fields> {
    const value = this.field(field, source, undefined);
    if (isPromise(value)) {
      return value.then((resolved) => {
        results[field.responseKey] = resolved;
        return results;
      });
    }
    results[field.responseKey] = value;
    return results;
  }

  private field(field: FieldPlan, source: unknown, parentPath: Path | undefined): unknown {
    const path = field.pathNeeded ? pathTo(field, parentPath) : undefined;
    try {
      const result = this.resolve(field, source, path, parentPath);
      const completed = isPromise(result)
        ? result.then((resolved) => this.complete(field, field.completion, path, resolved))
        : this.complete(field, field.completion, path, result);
      if (isPromise(completed)) {
        return completed.then(undefined, (rawError: unknown) =>
          this.fieldError(rawError, field, field.completion, path ?? pathTo(field, parentPath)),
        );
      }
      return completed;
    } catch (rawError) {
      return this.fieldError(rawError, field, field.completion, path ?? pathTo(field, parentPath));
    }
  }

  /** The resolver's result; for a field without one, graphql-js's defaultFieldResolver, inline. */
  private resolve(field: FieldPlan, source: unknown, path: Path | undefined, parentPath: Path | undefined): unknown {
    if (field.typename !== undefined) return field.typename;
    const { contextValue } = this.run;
    // Read at run time, not planned: Apollo wraps every field's resolver in place once a plugin asks to see fields.
    const { resolve } = field.fieldDef;
    if (resolve) {
      return resolve(source, this.args(field), contextValue, this.info(field, path ?? pathTo(field, parentPath)));
    }
    // Arguments are coerced even when unused, as graphql-js does: a null for a non-null argument is an error.
    const args = field.fieldDef.args.length > 0 ? this.args(field) : undefined;
    if ((typeof source !== "object" || source === null) && typeof source !== "function") return undefined;
    const object = source as Record<string, unknown>;
    const property = object[field.fieldName];
    if (typeof property !== "function") return property;
    return (object[field.fieldName] as (...a: unknown[]) => unknown)(
      args ?? {},
      contextValue,
      this.info(field, path ?? pathTo(field, parentPath)),
    );
  }

  private args(field: FieldPlan): Record<string, unknown> {
    return getArgumentValues(field.fieldDef, field.fieldNodes[0]!, this.run.variableValues);
  }

  private info(field: FieldPlan, path: Path): GraphQLResolveInfo {
    const { schema, plan, rootValue, variableValues } = this.run;
    return {
      fieldName: field.fieldName,
      fieldNodes: field.fieldNodes,
      returnType: field.fieldDef.type,
      parentType: field.parentType,
      path,
      schema,
      fragments: plan.fragments,
      rootValue,
      operation: plan.operation,
      variableValues,
    };
  }

  /** graphql-js's completeValue; `path` is set whenever the completion is not a leaf. */
  private complete(field: FieldPlan, completion: Completion, path: Path | undefined, result: unknown): unknown {
    if (result instanceof Error) throw result;
    if (completion.kind === "nonNull") {
      const completed = this.complete(field, completion.of, path, result);
      if (completed === null) {
        throw new Error(`Cannot return null for non-nullable field ${field.parentType.name}.${field.fieldName}.`);
      }
      return completed;
    }
    if (result === null || result === undefined) return null;
    switch (completion.kind) {
      case "leaf": {
        const serialized = completion.type.serialize(result);
        if (serialized === null || serialized === undefined) {
          throw new Error(
            `Expected \`${inspect(completion.type)}.serialize(${inspect(result)})\` to ` +
              `return non-nullable value, returned: ${inspect(serialized)}`,
          );
        }
        return serialized;
      }
      case "list":
        return this.list(field, completion.of, path!, result);
      case "object":
        return this.fields(completion.fields, result, path);
    }
  }

  private list(field: FieldPlan, item: Completion, path: Path, result: unknown): unknown {
    if (typeof result !== "object" || typeof (result as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new GraphQLError(
        `Expected Iterable, but did not find one for field "${field.parentType.name}.${field.fieldName}".`,
      );
    }
    let containsPromise = false;
    const completed = Array.from(result as Iterable<unknown>, (value, index) => {
      const itemPath: Path = { prev: path, key: index, typename: undefined };
      try {
        const completedItem = isPromise(value)
          ? value.then((resolved) => this.complete(field, item, itemPath, resolved))
          : this.complete(field, item, itemPath, value);
        if (isPromise(completedItem)) {
          containsPromise = true;
          return completedItem.then(undefined, (rawError: unknown) => this.fieldError(rawError, field, item, itemPath));
        }
        return completedItem;
      } catch (rawError) {
        return this.fieldError(rawError, field, item, itemPath);
      }
    });
    return containsPromise ? Promise.all(completed) : completed;
  }

  /** graphql-js's handleFieldError: a non-null position passes the error up, a nullable one becomes null. */
  private fieldError(rawError: unknown, field: FieldPlan, completion: Completion, path: Path): null {
    const error = locatedError(rawError, field.fieldNodes, responsePathAsArray(path));
    if (completion.kind === "nonNull") throw error;
    this.errors.add(error, path);
    return null;
  }
}

function pathTo(field: FieldPlan, parentPath: Path | undefined): Path {
  return { prev: parentPath, key: field.responseKey, typename: field.parentType.name };
}

/**
 * graphql-js's error list: an error under a position that an earlier error has already nulled is not reported
 * (it comes from a value no longer in the response).
 */
class CollectedErrors {
  private readonly positions = new Set<Path | undefined>();
  readonly list: GraphQLError[] = [];

  add(error: GraphQLError, path: Path | undefined): void {
    for (let at = path; at !== undefined; at = at.prev) if (this.positions.has(at)) return;
    if (this.positions.has(undefined)) return;
    this.positions.add(path);
    this.list.push(error);
  }
}

/** graphql-js's promiseForObject (kept to its `then` chain: settling order decides the order of errors). */
function promiseForFields(results: Fields): Promise<Fields> {
  return Promise.all(Object.values(results)).then((values) => {
    const resolved: Fields = {};
    Object.keys(results).forEach((key, i) => (resolved[key] = values[i]));
    return resolved;
  });
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}

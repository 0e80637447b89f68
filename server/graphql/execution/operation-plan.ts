import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeNameMetaFieldDef,
  typeFromAST,
} from "graphql";

/** How a field's value is completed, decided once from its type (graphql-js decides it for every value). */
export type Completion =
  | { readonly kind: "nonNull"; readonly of: Completion }
  | { readonly kind: "list"; readonly of: Completion }
  | { readonly kind: "leaf"; readonly type: GraphQLLeafType }
  | { readonly kind: "object"; readonly type: GraphQLObjectType; readonly fields: readonly FieldPlan[] };

/** One response key of a selection set: the field graphql-js would execute there, looked up once. */
export interface FieldPlan {
  readonly responseKey: string;
  readonly fieldName: string;
  readonly fieldNodes: readonly FieldNode[];
  readonly fieldDef: GraphQLField<unknown, unknown>;
  readonly parentType: GraphQLObjectType;
  /** `__typename`: the answer, known from the plan. */
  readonly typename: string | undefined;
  /** False when neither the resolver nor the completion needs the field's path (made then only on an error). */
  readonly pathNeeded: boolean;
  readonly completion: Completion;
}

export interface OperationPlan {
  readonly operation: OperationDefinitionNode;
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  /** Mutations run their root fields one after the other. */
  readonly serial: boolean;
  readonly fields: readonly FieldPlan[];
}

/**
 * Above this many planned fields an operation is left to graphql-js: fragments spread in several places multiply
 * a plan, and a plan is kept as long as its parsed document is.
 */
const MAX_PLANNED_FIELDS = 2_000;

/** Thrown inside planning when the operation uses something plans do not cover. */
class Unplannable extends Error {}

/**
 * Plans an operation of a validated document the way graphql-js's `execute` would walk it (its `collectFields`
 * and `getFieldDef`), or returns null when it is not ours to run: no such operation, a subscription, introspection,
 * `@skip`/`@include` (a plan would then depend on the variables), interfaces and unions, an `isTypeOf` check, a
 * `__proto__` response key (results here are plain objects), or a plan too large. graphql-js runs those.
 */
export function planOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null,
): OperationPlan | null {
  let operation: OperationDefinitionNode | undefined;
  const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      if (operationName === null) {
        if (operation !== undefined) return null;
        operation = definition;
      } else if (definition.name?.value === operationName) {
        operation = definition;
      }
    } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments[definition.name.value] = definition;
    }
  }
  if (operation === undefined || operation.operation === "subscription") return null;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return null;
  const planner = new Planner(schema, fragments);
  try {
    const fields = planner.fields(rootType, [operation.selectionSet]);
    return { operation, fragments, serial: operation.operation === "mutation", fields };
  } catch (error) {
    if (error instanceof Unplannable) return null;
    throw error;
  }
}

class Planner {
  private planned = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  ) {}

  /** The fields of `selectionSets` on `type`, merged by response key in first-seen order (graphql-js's order). */
  fields(type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[]): FieldPlan[] {
    const byKey = new Map<string, FieldNode[]>();
    // One set of visited fragments for all the selection sets, as graphql-js's collectSubfields shares it.
    const visited = new Set<string>();
    for (const selectionSet of selectionSets) this.collect(type, selectionSet, byKey, visited);
    const plans: FieldPlan[] = [];
    for (const [responseKey, fieldNodes] of byKey) {
      const plan = this.field(type, responseKey, fieldNodes);
      if (plan) plans.push(plan);
    }
    return plans;
  }

  private collect(
    type: GraphQLObjectType,
    selectionSet: SelectionSetNode,
    byKey: Map<string, FieldNode[]>,
    visited: Set<string>,
  ): void {
    for (const selection of selectionSet.selections) {
      if (selection.directives?.length) throw new Unplannable();
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const nodes = byKey.get(key);
        if (nodes) nodes.push(selection);
        else byKey.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (this.conditionMatches(selection, type)) this.collect(type, selection.selectionSet, byKey, visited);
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = this.fragments[name];
        if (fragment && this.conditionMatches(fragment, type))
          this.collect(type, fragment.selectionSet, byKey, visited);
      }
    }
  }

  private conditionMatches(fragment: FragmentDefinitionNode | InlineFragmentNode, type: GraphQLObjectType): boolean {
    if (!fragment.typeCondition) return true;
    const conditionType = typeFromAST(this.schema, fragment.typeCondition);
    if (conditionType === type) return true;
    return isAbstractType(conditionType) && this.schema.isSubType(conditionType, type);
  }

  private field(parentType: GraphQLObjectType, responseKey: string, fieldNodes: FieldNode[]): FieldPlan | null {
    if (responseKey === "__proto__") throw new Unplannable();
    const name = fieldNodes[0]!.name.value;
    const onQueryType = parentType === this.schema.getQueryType();
    if (onQueryType && (name === "__schema" || name === "__type")) throw new Unplannable();
    const isTypename = name === TypeNameMetaFieldDef.name;
    const fieldDef = isTypename ? TypeNameMetaFieldDef : parentType.getFields()[name];
    // graphql-js leaves out a field the type does not have (validation has refused it before).
    if (!fieldDef) return null;
    if (++this.planned > MAX_PLANNED_FIELDS) throw new Unplannable();
    const completion = this.completion(fieldDef.type, fieldNodes);
    return {
      responseKey,
      fieldName: fieldDef.name,
      fieldNodes,
      fieldDef,
      parentType,
      typename: isTypename ? parentType.name : undefined,
      pathNeeded: (!isTypename && fieldDef.resolve !== undefined) || !isLeaf(completion),
      completion,
    };
  }

  private completion(type: GraphQLOutputType, fieldNodes: readonly FieldNode[]): Completion {
    if (isNonNullType(type)) return { kind: "nonNull", of: this.completion(type.ofType, fieldNodes) };
    if (isListType(type)) return { kind: "list", of: this.completion(type.ofType, fieldNodes) };
    if (isLeafType(type)) return { kind: "leaf", type };
    if (isAbstractType(type) || type.isTypeOf) throw new Unplannable();
    const selectionSets = fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
    return { kind: "object", type, fields: this.fields(type, selectionSets) };
  }
}

function isLeaf(completion: Completion): boolean {
  return completion.kind === "leaf" || (completion.kind === "nonNull" && completion.of.kind === "leaf");
}

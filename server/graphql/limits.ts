import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";

/** SEC-7: limits checked before execution. Tokens are counted by the parser (`parseOptions.maxTokens`). */
export const GRAPHQL_LIMITS = { maxDepth: 8, maxAliases: 15, maxTokens: 2000 } as const;

/**
 * Refuses operations nested deeper than `maxDepth` fields (fragments followed). Introspection is exempt: its
 * type-of-type chains are deep by nature, cost nothing to resolve, and are governed by the explorer switch.
 */
export function maxDepthRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (selectionSet: SelectionSetNode, visiting: Set<string>): number => {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith("__")) continue;
          deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, visiting) : 0));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, visiting));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // Unknown and cyclic fragments are reported by graphql-js's own rules.
          if (!fragment || visiting.has(name)) continue;
          deepest = Math.max(deepest, depthOf(fragment.selectionSet, new Set(visiting).add(name)));
        }
        if (deepest > maxDepth) break;
      }
      return deepest;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query is nested too deeply: at most ${maxDepth} levels are allowed.`, {
              nodes: [operation],
            }),
          );
        }
      },
    };
  };
}

/** Refuses documents with more than `maxAliases` aliased fields, so one request cannot fan out into many. */
export function maxAliasesRule(maxAliases: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    return {
      Field(field) {
        if (field.alias && ++aliases === maxAliases + 1) {
          context.reportError(
            new GraphQLError(`Too many aliases: at most ${maxAliases} are allowed per request.`, { nodes: [field] }),
          );
        }
      },
    };
  };
}

/** HTTP only: subscriptions run over WebSocket (graphql-ws) at the same path, where the events can be pushed. */
export const noSubscriptionsRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === "subscription") {
      context.reportError(
        new GraphQLError("Subscriptions run over WebSocket (graphql-ws protocol) at /graphql, not over HTTP.", {
          nodes: [node],
        }),
      );
    }
  },
});

/** The ImageHost client for Node and browsers. React hooks: client/generated/react-query.ts with client/react.ts. */
export * from "./errors.js";
export * from "./image-host-client.js";
export * from "./image-type.js";
export * from "./live.js";
export * from "./upload.js";
export type * from "./generated/graphql.js";

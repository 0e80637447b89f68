import { registerEnumType } from "type-graphql";
import type { Visibility as StoredVisibility } from "../../ports/image-store.js";

export enum Visibility {
  PUBLIC = "PUBLIC",
  PRIVATE = "PRIVATE",
}
registerEnumType(Visibility, {
  name: "Visibility",
  description: "Who may see it: PUBLIC, anyone with the link or id; PRIVATE, only you (albums and share links aside).",
});

export const toVisibility = (stored: StoredVisibility): Visibility =>
  stored === "private" ? Visibility.PRIVATE : Visibility.PUBLIC;

export const fromVisibility = (visibility: Visibility): StoredVisibility =>
  visibility === Visibility.PRIVATE ? "private" : "public";

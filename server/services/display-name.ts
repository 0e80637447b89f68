import { badInput } from "../errors.js";

const MAX_FILENAME_LENGTH = 255;

/** The name shown for an uploaded file: its last path part, NFC. Never used to build a path or a key. */
export function displayNameOf(raw: string): string {
  return raw.normalize("NFC").split(/[/\\]/).pop()!.trim();
}

/** The display name of `raw`, or BAD_USER_INPUT when it is empty, too long or holds control characters. */
export function cleanFilename(raw: string): string {
  const name = displayNameOf(raw);
  if (name.length === 0 || name.length > MAX_FILENAME_LENGTH || /\p{Cc}/u.test(name)) {
    throw badInput(`Filename must be 1 to ${MAX_FILENAME_LENGTH} printable characters.`, { field: "filename" });
  }
  return name;
}

/**
 * What both blob stores accept as a key and a content type. Server-made keys only (SEC-12): a lowercase prefix and
 * a base64url id (the local store lays them out as `<root>/<prefix>/<id>`; joined to an S3 public base URL, a key
 * like `../x` would point outside it). Anything else names nothing: reads find nothing, writes are refused.
 */
export const KEY_PATTERN = /^([a-z]{1,32})\/([A-Za-z0-9_-]{1,128})$/;
export const PREFIX_DIR_PATTERN = /^[a-z]{1,32}$/;
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
// A media type without parameters: it is signed into URLs and policies and echoed into a header, so no spaces,
// quotes or line breaks.
export const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

import { inject } from "vitest";
import type { S3StorageConfig } from "../../server/config.js";
import { createRgwBucket } from "./rgw.js";

export { rgwEnv } from "./rgw.js";

/**
 * A fresh bucket on the run's shared RADOS Gateway (started by global-setup), for one test file: files never see
 * each other's objects. `corsOrigins`: browser origins allowed to PUT/POST into it.
 */
export function rgwBucket(options: { corsOrigins?: string[] } = {}): Promise<S3StorageConfig> {
  return createRgwBucket(inject("rgw"), options);
}

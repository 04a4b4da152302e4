// The AWS SDK, loaded on first use: every app imports this Type's code at load, and one without S3 instances must
// not pay for the SDK's hundreds of modules. Types only come from it statically (erased at run time).
import { createRequire } from "node:module";
import type * as ClientS3 from "@aws-sdk/client-s3";
import type { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** The parts of the SDK this Type uses. */
export interface Sdk {
  s3: typeof ClientS3;
  presign: typeof getSignedUrl;
}

let loading: Promise<Sdk> | undefined;

/** The SDK's modules, imported once per process on the first call. */
export function loadSdk(): Promise<Sdk> {
  loading ??= (async () => {
    quietNodeVersionNotice();
    const [s3, presigner] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/s3-request-presigner")]);
    return { s3, presign: presigner.getSignedUrl };
  })();
  // A failed import (a broken install) is tried again on the next call rather than remembered for good.
  loading.catch(() => (loading = undefined));
  return loading;
}

/**
 * Marks the SDK's Node-version notice as already given. The SDK prints a `NodeVersionSupportWarning` on Node < 22
 * the first time a client is made; it would land in the user's output and ours. The SDK keeps "already given" in
 * an exported `state` of `@aws-sdk/core/client` and reads an environment variable to skip it; setting the state
 * avoids changing the process's environment. The module is resolved from the client's own folder, so that it is
 * the very instance the client uses, whatever the install's layout.
 */
function quietNodeVersionNotice(): void {
  try {
    const fromHere = createRequire(import.meta.url);
    const fromClient = createRequire(fromHere.resolve("@aws-sdk/client-s3"));
    const core = fromClient("@aws-sdk/core/client") as { state?: { warningEmitted?: boolean } };
    if (core.state !== undefined) core.state.warningEmitted = true;
  } catch {
    // A layout without that module has no such notice either; a test proves stderr stays empty.
  }
}

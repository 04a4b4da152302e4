// Makes element code load as ES modules wherever the app lives, with `jit-elements` resolving to this runtime.
// Without it, an app folder with no package.json (JitAI apps have app.json) would load .ts/.js element code as
// CommonJS, and `import … from "jit-elements"` would find no package, or another copy whose classes fail the
// Meta check ("must extend Storage").
import { register } from "node:module";
import { MessageChannel, type MessagePort } from "node:worker_threads";

/**
 * The module app code and element code share: the package's public entry (the runtime composed with the official
 * elements' classes, one folder up), so that `extends OssStorage` in element code names the class the runtime checks.
 */
const runtimeEntry = new URL("../index.ts", import.meta.url).href;

let port: MessagePort | undefined;
let sequence = 0;
const known = new Set<string>();

/** Lets the code under `dirs` import as ES modules and see this runtime as `jit-elements`; resolves once in effect. */
export async function allowElementCode(dirs: readonly string[]): Promise<void> {
  const fresh = dirs.filter((dir) => !known.has(dir));
  if (fresh.length === 0) return;
  for (const dir of fresh) known.add(dir);
  if (port === undefined) {
    const channel = new MessageChannel();
    register(new URL("./element-hooks.mjs", import.meta.url), {
      parentURL: import.meta.url,
      data: { port: channel.port2, runtime: runtimeEntry },
      transferList: [channel.port2],
    });
    port = channel.port1;
  }
  const id = ++sequence;
  const channelPort = port;
  // The hooks run in another thread: wait until they have the folders before importing from them.
  await new Promise<void>((resolve) => {
    const onMessage = (message: { ack?: number }) => {
      if (message.ack !== id) return;
      channelPort.off("message", onMessage);
      channelPort.unref();
      resolve();
    };
    channelPort.on("message", onMessage);
    channelPort.ref();
    channelPort.postMessage({ id, dirs: fresh });
  });
}

// RFC 6761 (section 6.3) reserves every name under `localhost.` for the loopback interface, and resolvers are to
// answer them so; glibc without nss-myhostname (as on the machines here) answers only `localhost` itself, so
// `bucket.s3.localhost` is ENOTFOUND. A client that addresses buckets by virtual host (the bucket in the Host) can
// reach a local server only through such names, so the tests that run one teach this process's resolver the
// RFC's rule. Only the name lookup changes: every request still goes over a real socket to a real server.
import dns from "node:dns";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

let installed = false;

/** From now on, in this process, `<anything>.localhost` resolves as `localhost` does. */
export function resolveLocalhostSubdomains(): void {
  if (installed) return;
  installed = true;
  const lookup = dns.lookup;
  const patched = (hostname: string, options: unknown, callback?: unknown) => {
    const name = /\.localhost\.?$/i.test(hostname) ? "localhost" : hostname;
    if (typeof options === "function") return Reflect.apply(lookup, dns, [name, {}, options as LookupCallback]);
    return Reflect.apply(lookup, dns, [name, (options ?? {}) as dns.LookupOptions, callback as LookupCallback]);
  };
  dns.lookup = patched as typeof dns.lookup;
}

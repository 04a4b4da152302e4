// An HTTP proxy in front of an S3 server that fails the requests a test picks, as a busy or flaky service does:
// a 503 SlowDown answer, or a connection reset before any answer. Every request it sees is counted.
import { createServer, request as forward, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What to do with one request: pass it on, answer 503 SlowDown, reset the connection, or cut the answer's body. */
export type Fault = "pass" | "slow-down" | "reset" | { cutAfter: number };

export interface FaultProxy {
  endpoint: string;
  /** Every request seen, as `METHOD /path` (the query left out). */
  seen: string[];
  /** Decides each request's fate; passes everything until set. */
  decide: (request: IncomingMessage, index: number) => Fault;
  stop(): Promise<void>;
}

const SLOW_DOWN = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault-proxy</RequestId></Error>`;

/** Starts a proxy to `target` (`http://127.0.0.1:<port>`) on a free loopback port. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = {
    endpoint: "",
    seen: [],
    decide: () => "pass",
    stop: () => Promise.resolve(),
  };
  const server: Server = createServer((request, response) => {
    const index = proxy.seen.push(`${request.method} ${(request.url ?? "").split("?")[0]}`) - 1;
    const fault = proxy.decide(request, index);
    if (fault === "reset") {
      request.socket.resetAndDestroy();
      return;
    }
    if (fault === "slow-down") {
      // Read the body first, as a service does, so that the client sees the answer rather than a broken pipe.
      request.resume();
      request.once("end", () => {
        response.writeHead(503, { "content-type": "application/xml", "x-amz-request-id": "fault-proxy" });
        response.end(request.method === "HEAD" ? undefined : SLOW_DOWN);
      });
      return;
    }
    const outgoing = forward(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        if (typeof fault !== "object") return void answer.pipe(response);
        // Send the first `cutAfter` bytes of the body, then break the connection, as a flaky network does.
        let sent = 0;
        answer.on("data", (chunk: Buffer) => {
          const room = fault.cutAfter - sent;
          if (room > 0) response.write(chunk.subarray(0, room));
          sent += chunk.length;
          if (sent >= fault.cutAfter) {
            answer.destroy();
            response.socket?.resetAndDestroy();
          }
        });
        answer.once("end", () => response.end());
      },
    );
    outgoing.once("error", () => response.destroy());
    request.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}

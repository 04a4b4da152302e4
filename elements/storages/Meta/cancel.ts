// Cancelling the HTTP requests of one operation, and only those, without a handle on them: a client such as ali-oss
// gives none. Requests are told apart by the async context they were started in.
import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";

/** The requests started inside one `RequestScope.run`, so that `abort` can destroy them all at once. */
export class RequestScope {
  readonly #requests = new Set<ClientRequest>();
  #reason: Error | undefined;

  /** Runs `action`; every HTTP request it starts (however deep in a client) belongs to this scope. */
  run<T>(action: () => Promise<T>): Promise<T> {
    ensureSubscribed();
    return current.run(this, action);
  }

  /** Destroys the scope's requests in flight, and any it starts later, with `reason`. */
  abort(reason: Error): void {
    this.#reason ??= reason;
    for (const request of this.#requests) cut(request, reason);
    this.#requests.clear();
  }

  /**
   * Like `abort`, but spares the requests whose body has gone out whole (all of it handed to the system): the
   * service may have all of it and act on it whatever this process does, so their answer is what tells what
   * happened. Returns how many were spared; they finish on their own.
   */
  abortUnsent(reason: Error): number {
    this.#reason ??= reason;
    let spared = 0;
    for (const request of this.#requests) {
      if (request.writableFinished) spared++;
      else {
        cut(request, reason);
        this.#requests.delete(request);
      }
    }
    return spared;
  }

  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  /** @internal */
  adopt(request: ClientRequest): void {
    if (this.#reason !== undefined) {
      cut(request, this.#reason);
      return;
    }
    this.#requests.add(request);
    request.once("close", () => this.#requests.delete(request));
  }
}

/**
 * Ends `request` with a TCP reset rather than a close: a server that has not read the whole body yet then never
 * sees it, so an aborted upload cannot land after the abort.
 */
function cut(request: ClientRequest, reason: Error): void {
  const socket = request.socket;
  if (socket !== null && !socket.destroyed) socket.resetAndDestroy();
  request.destroy(reason);
}

const current = new AsyncLocalStorage<RequestScope>();
let subscribed = false;

// Node announces every client request on this channel, synchronously, in the context that made it.
function ensureSubscribed(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe("http.client.request.start", (message) => {
    const scope = current.getStore();
    if (scope !== undefined) scope.adopt((message as { request: ClientRequest }).request);
  });
}

// Injected failures for reliability tests of clients: service errors, connections reset mid-body, slow answers.
// Deterministic: a count of faults is exact, and a rate draws from a seeded generator, so that a test that
// fails fails the same way every run.
import type { IncomingMessage, ServerResponse } from "node:http";

/** Which requests fail and how. Every part is optional; `{}` injects nothing. */
export interface FaultOptions {
  /** Seed of the generator that decides `rate` faults (default 1). */
  seed?: number;
  /** Answer with the service's 500 InternalError or 503 ServiceUnavailable XML. */
  status?: FaultRule & { code?: 500 | 503 };
  /**
   * Reset the connection: a GetObject after sending the headers and `afterBytes` of the body (default half of
   * it); a request with a body after receiving `afterBytes` of it (default 0); any other at once.
   */
  reset?: FaultRule & { afterBytes?: number };
  /** Wait this long before answering each request (milliseconds). */
  delayMs?: number;
  /**
   * Carry the request out at once and hold its answer `ms`, as a busy service does: the work is done
   * whatever the client does meanwhile, unlike `delayMs`, which drops a request whose client left. With `lost`
   * the connection is reset instead of answered, so that the client never learns what happened.
   */
  heldAnswer?: { ms: number; lost?: boolean; operations?: string[] };
}

/** Which requests a fault hits: the next `count` that match, and/or a share `rate` (0–1) of them. */
export interface FaultRule {
  count?: number;
  rate?: number;
  /** Operation names as the service's API reference names them (`PutObject`, `UploadPart`); default all. */
  operations?: string[];
}

/** What to do with one request. */
export type FaultDecision =
  | { kind: "none"; delayMs: number }
  | { kind: "status"; code: 500 | 503; delayMs: number }
  | { kind: "reset"; afterBytes: number | undefined; delayMs: number };

/** How many faults were injected since the options were last set. */
export interface FaultStats {
  status: number;
  reset: number;
}

export class Faults {
  private options: FaultOptions = {};
  private random: () => number = mulberry32(1);
  private statusLeft = 0;
  private resetLeft = 0;
  private counts: FaultStats = { status: 0, reset: 0 };

  constructor(options?: FaultOptions) {
    this.set(options ?? {});
  }

  /** Replaces the options and restarts counts and the generator. */
  set(options: FaultOptions): void {
    this.options = options;
    this.random = mulberry32(options.seed ?? 1);
    this.statusLeft = options.status?.count ?? 0;
    this.resetLeft = options.reset?.count ?? 0;
    this.counts = { status: 0, reset: 0 };
  }

  stats(): FaultStats {
    return { ...this.counts };
  }

  /** Decides the fate of one request of `operation`. */
  decide(operation: string): FaultDecision {
    const delayMs = this.options.delayMs ?? 0;
    const status = this.options.status;
    if (status && this.hits(status, operation, "statusLeft")) {
      this.counts.status++;
      return { kind: "status", code: status.code ?? 503, delayMs };
    }
    const reset = this.options.reset;
    if (reset && this.hits(reset, operation, "resetLeft")) {
      this.counts.reset++;
      return { kind: "reset", afterBytes: reset.afterBytes, delayMs };
    }
    return { kind: "none", delayMs };
  }

  /** How long the answer to a request of `operation` is held, and whether it is lost (see `heldAnswer`). */
  heldAnswer(operation: string): { ms: number; lost: boolean } | undefined {
    const held = this.options.heldAnswer;
    if (held === undefined || (held.operations !== undefined && !held.operations.includes(operation))) return undefined;
    return { ms: held.ms, lost: held.lost === true };
  }

  private hits(rule: FaultRule, operation: string, left: "statusLeft" | "resetLeft"): boolean {
    if (rule.operations && !rule.operations.includes(operation)) return false;
    if (this[left] > 0) {
      this[left]--;
      return true;
    }
    return rule.rate !== undefined && rule.rate > 0 && this.random() < rule.rate;
  }
}

// A small, well-known 32-bit generator: enough for picking requests, and reproducible from its seed.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The answer goes out `ms` after the handler gives it (or, when `lost`, the connection is reset instead); the work
// is done all the same, and a client that left meanwhile gets nothing.
export function holdAnswer(req: IncomingMessage, res: ServerResponse, held: { ms: number; lost: boolean }): void {
  const end = res.end;
  res.end = ((...args: unknown[]) => {
    const timer = setTimeout(() => {
      if (res.destroyed) return;
      if (held.lost) req.socket.resetAndDestroy();
      else Reflect.apply(end, res, args);
    }, held.ms);
    res.once("close", () => clearTimeout(timer));
    return res;
  }) as ServerResponse["end"];
}

// Connections as a resource: how long a client may take, and how many may be open at once. A local server is
// still a server: a client that opens connections and says nothing, or stops mid-body, must not keep the owner
// out. Node's own timeouts end slow clients; the guard below keeps the number of open connections under what the
// process may open, and when it is full it closes the connection that has waited longest without asking for
// anything (a silent or half-sent connection first, an idle keep-alive one after), never one being served.
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";

/** How long clients may take and how many may connect; every field has a safe default (see `resolveLimits`). */
export interface ConnectionLimits {
  /** A connection must send a request's complete headers within this time (ms; default 20 000). */
  headersTimeoutMs?: number;
  /** A whole request, body included, must arrive within this time (ms; default 0 = no limit, as uploads of 5 GiB take long). */
  requestTimeoutMs?: number;
  /** A connection with a request under way that moves no byte either way for this long is closed (ms; default 30 000). */
  idleTimeoutMs?: number;
  /** A kept-alive connection with no request is closed after this time (ms; default 5 000). */
  keepAliveTimeoutMs?: number;
  /** Connections open at once (default: half of what the process's file limit leaves, at most 4 096). */
  maxConnections?: number;
}

export type ResolvedLimits = Required<ConnectionLimits>;

export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
// File descriptors kept for the process itself (journals, segments, the runtime's own), before connections.
const RESERVED_FILES = 64;
const MAX_DEFAULT_CONNECTIONS = 4096;

/** `limits` with every default filled in; throws on a value that is not a non-negative integer. */
export function resolveLimits(limits: ConnectionLimits = {}): ResolvedLimits {
  const resolved: ResolvedLimits = {
    headersTimeoutMs: limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: limits.requestTimeoutMs ?? 0,
    idleTimeoutMs: limits.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: limits.maxConnections ?? defaultMaxConnections(),
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number of 0 or more, not ${String(value)}.`);
  }
  if (resolved.maxConnections < 1) throw new Error("maxConnections must be at least 1.");
  if (resolved.headersTimeoutMs === 0) throw new Error("headersTimeoutMs must be more than 0: without it, silent connections stay open for good.");
  // Node refuses a headers timeout longer than the whole request's: the shorter one is what a client gets anyway.
  if (resolved.requestTimeoutMs > 0) resolved.headersTimeoutMs = Math.min(resolved.headersTimeoutMs, resolved.requestTimeoutMs);
  return resolved;
}

/**
 * Half of the file descriptors the process may open beyond a reserve: a connection uploading a large body holds
 * two (its socket and the file being written). Read from /proc on Linux; elsewhere 1 024.
 */
export function defaultMaxConnections(): number {
  const soft = softFileLimit();
  if (soft === undefined) return 1024;
  return Math.max(8, Math.min(MAX_DEFAULT_CONNECTIONS, Math.floor((soft - RESERVED_FILES) / 2)));
}

function softFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (!line || line[1] === "unlimited") return undefined;
    const soft = Number(line[1]);
    return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Counts the open connections of one or more servers and keeps them at `max`: a new connection beyond it closes
 * the longest-waiting connection that is not being served, or is itself closed when every one is.
 */
export class ConnectionGuard {
  // Insertion order is age order: the first entry has waited longest.
  private readonly fresh = new Set<Socket>();
  private readonly idle = new Set<Socket>();
  private readonly busy = new Map<Socket, number>();

  constructor(private readonly max: number) {}

  /** How many connections are open. */
  get size(): number {
    return this.fresh.size + this.idle.size + this.busy.size;
  }

  /** Call for every new connection (the server's `connection` event). */
  admit(socket: Socket): void {
    if (this.size >= this.max) {
      const victim = first(this.fresh) ?? first(this.idle);
      if (!victim) {
        socket.destroy();
        return;
      }
      this.forget(victim);
      victim.destroy();
    }
    this.fresh.add(socket);
    socket.once("close", () => this.forget(socket));
  }

  /** A request arrived on `socket`. */
  started(socket: Socket): void {
    if (socket.destroyed) return;
    this.fresh.delete(socket);
    this.idle.delete(socket);
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
  }

  /** A request on `socket` was answered (or given up). */
  ended(socket: Socket): void {
    const count = this.busy.get(socket);
    if (count === undefined) return;
    if (count > 1) {
      this.busy.set(socket, count - 1);
      return;
    }
    this.busy.delete(socket);
    if (!socket.destroyed) this.idle.add(socket);
  }

  private forget(socket: Socket): void {
    this.fresh.delete(socket);
    this.idle.delete(socket);
    this.busy.delete(socket);
  }
}

function first<T>(set: Set<T>): T | undefined {
  for (const item of set) return item;
  return undefined;
}

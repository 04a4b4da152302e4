// Retries with exponential backoff and jitter, bounded, for operations that are safe to repeat.
import { setTimeout as sleep } from "node:timers/promises";

export interface RetryPolicy {
  /** Retries after the first attempt (0: no retry). */
  retries: number;
  /** Delay before the first retry, doubled each time (milliseconds). */
  baseDelayMs: number;
  /** The longest delay between two attempts. */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Thrown when every attempt failed: the last failure and how many attempts there were. */
export class RetriesExhausted extends Error {
  override readonly name = "RetriesExhausted";
  constructor(
    readonly last: unknown,
    readonly attempts: number,
  ) {
    super(last instanceof Error ? last.message : String(last), { cause: last });
  }
}

/**
 * Runs `attempt` until it succeeds, it fails with an error `isTransient` rejects, or the retries run out; waits
 * `base × 2^n` (capped, with jitter) between attempts. Rejects with the failure itself after one attempt, else
 * with a RetriesExhausted. A `signal` ends the waiting at once with its reason.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  isTransient: (error: unknown) => boolean,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted || n > policy.retries || !isTransient(error)) throw n === 1 ? error : new RetriesExhausted(error, n);
      await sleep(backoffDelay(n, policy), undefined, { signal });
    }
  }
}

/** The wait before retry `n` (1-based): exponential, capped, with "equal jitter" so that clients spread out. */
export function backoffDelay(n: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

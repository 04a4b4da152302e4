// Freeing the versions that uploads replaced, after the upload has returned. Dropping a file's last name frees its
// blocks inside that very call, and on ext4 that takes about as long as writing the bytes did (≈1 ms per MiB): the
// new version is in place before it starts, so no caller needs to wait for it. The replaced version keeps a name
// under partial/ until then; a crash leaves that name to the next start's sweep (see owners.ts).
import { unlink } from "node:fs/promises";

/** When this many replaced versions wait to be freed, the next upload waits for one of them first: they never pile up. */
const MAX_PENDING = 2;

/** The replaced versions of one storage being freed in the thread pool. */
export class Reclaimer {
  readonly #pending = new Set<Promise<void>>();

  /** Starts removing `path` (a second name under partial/ of a replaced version); failures are left to the sweep. */
  free(path: string): void {
    const removal: Promise<void> = unlink(path)
      .catch(() => {})
      .finally(() => this.#pending.delete(removal));
    this.#pending.add(removal);
  }

  /** Resolves once fewer than MAX_PENDING versions wait to be freed. */
  async room(): Promise<void> {
    while (this.#pending.size >= MAX_PENDING) await Promise.race(this.#pending);
  }

  /** Resolves once every version replaced so far is freed. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }
}

// One writer at a time per object name, within a process: an object and its facts are renamed into place one after
// the other, and two uploads of the same name must not interleave those renames.

/** Runs actions one after another per key; different keys run in parallel. */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, action: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await action();
    } finally {
      release();
      // The last in line cleans up, so that the map holds only names being written.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

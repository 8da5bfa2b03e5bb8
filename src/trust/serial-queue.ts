/**
 * Runs async critical sections one at a time. Stores do check-and-set in memory and then
 * persist; without this two messages verified at once could both pass a check.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

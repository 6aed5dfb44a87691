/**
 * A bounded queue read as an async iterator: what events and changes are handed to the
 * application through. A reader that does not keep up loses the newest items, never the
 * cache's updates (those happen before anything is queued).
 */

export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((r: IteratorResult<T>) => void)[] = [];
  private done = false;

  constructor(
    private readonly limit: number,
    private readonly onReturn?: () => void,
  ) {}

  push(item: T): void {
    if (this.done) return;
    const w = this.waiting.shift();
    if (w) w({ value: item, done: false });
    else if (this.items.length < this.limit) this.items.push(item);
  }

  /** Ends the iteration once what is queued has been read. */
  close(): void {
    if (this.done) return;
    this.done = true;
    for (const w of this.waiting.splice(0)) w({ value: undefined, done: true });
  }

  get closed(): boolean {
    return this.done;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((ok) => this.waiting.push(ok));
  }

  /** `break` out of a `for await` stops what feeds the queue. */
  return(): Promise<IteratorResult<T>> {
    this.close();
    this.items.length = 0;
    this.onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

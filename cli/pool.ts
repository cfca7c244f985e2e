/**
 * At most `limit` tasks running at once, started in the order they were
 * queued (so work queued page by page finishes roughly page by page).
 */
export type Pool = <T>(task: () => Promise<T>) => Promise<T>;

export function createPool(limit: number): Pool {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`pool limit must be a positive integer, got ${limit}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    if (running >= limit) return;
    const start = waiting.shift();
    if (start) {
      running++;
      start();
    }
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        task()
          .then(resolve, reject)
          .finally(() => {
            running--;
            next();
          });
      });
      next();
    });
}

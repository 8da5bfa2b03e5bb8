/**
 * Waits `ms`, or less: resolves (never rejects) as soon as `signal` aborts, so a polling
 * loop can re-check its own stop condition. Unlike timers/promises' setTimeout, which
 * rejects with an AbortError.
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

// Backoff helpers shared by the indexer and the consumer loop.
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter, capped. attempt starts at 1. */
export function backoffMs(attempt: number, baseMs: number, capMs = 30_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export interface DeadlineRetryOptions {
  /** Which errors are worth another attempt (throttling, 5xx, a dropped connection); the rest throw at once. */
  readonly isRetriable: (error: unknown) => boolean;
  /** Epoch ms after which no attempt starts: the last error is thrown instead of sleeping past it. */
  readonly deadline: number;
  /** @default 1_000 */
  readonly baseDelayMs?: number;
  /** @default 20_000 */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Called before each wait, e.g. to log the error being retried. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** The error of the last attempt when the deadline ran out, with the number of attempts made. */
export class DeadlineExceededError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `still failing after ${attempts} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      { cause: lastError },
    );
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Runs `attempt` until it succeeds, retrying what `isRetriable` accepts with jittered exponential backoff
 * (`backoffMs`) while the deadline allows another attempt; a non-retriable error is rethrown as it is.
 */
export async function retryUntilDeadline<T>(
  attempt: () => Promise<T>,
  options: DeadlineRetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!options.isRetriable(error)) throw error;
      const delay = backoffMs(n, options.baseDelayMs ?? 1_000, options.maxDelayMs ?? 20_000);
      if (now() + delay >= options.deadline) throw new DeadlineExceededError(n, error);
      options.onRetry?.(error, n, delay);
      await wait(delay);
    }
  }
}

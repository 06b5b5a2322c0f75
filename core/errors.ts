// Typed errors of the pipeline. Callers branch on the class: a RetriableError means "infrastructure is
// down, try the same batch again later" (writes are idempotent); anything else is a bug or bad config.

export class PipelineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * `error` and the causes it wraps, outermost first: kafkajs wraps what it is given (NumberOfRetriesExceeded around
 * NonRetriableError around ours), so decisions are made along this chain. The last value may be a cause that is not
 * an Error. Stops at a cause that is its own, and after 32 links (a chain that loops).
 */
export function* causeChain(error: unknown): Generator<unknown> {
  let current = error;
  for (let depth = 0; depth < 32; depth++) {
    yield current;
    if (!(current instanceof Error) || current.cause === undefined || current.cause === current) return;
    current = current.cause;
  }
}

/** The batch can be retried as a whole: nothing was committed, every write is idempotent. */
export class RetriableError extends PipelineError {}

/** The users database did not answer; classifying without it would be blind, so the batch waits. */
export class DatabaseUnavailableError extends RetriableError {}

/** The users database refused our credentials: they may have just been rotated, so re-reading them can help. */
export class DatabaseAccessDeniedError extends DatabaseUnavailableError {}

/** OpenSearch refused or failed the writes (HTTP 429/5xx, connection errors) after bounded retries. */
export class SinkUnavailableError extends RetriableError {}

/** OpenSearch permanently rejected a document even in the bad index: stop rather than lose it. */
export class PermanentIndexError extends PipelineError {}

/** A required setting is missing or invalid. */
export class ConfigError extends PipelineError {}

/** An environment variable is missing or has a bad value: the CLIs exit 2 (a usage mistake), the services fail at start. */
export class EnvError extends ConfigError {}

/** The bad index itself refused one document (HTTP 400): that record, and only it, cannot be stored. */
export class DocumentRejectedError extends PermanentIndexError {}

/** One dependency that never answered, and the last reason it gave. */
export interface Unanswered {
  readonly component: string;
  readonly url: string;
  readonly reason: string;
}

/**
 * Dependencies (Kafka, the users database, OpenSearch) never answered while a process was starting: a wrong
 * address or a stack that is not up, told apart from an outage after start, which is waited out instead.
 */
export class UnreachableError extends PipelineError {
  constructor(
    readonly unreachable: readonly Unanswered[],
    fix: string,
    options?: { cause?: unknown },
  ) {
    const each = unreachable.map((u) => `${u.component} at ${u.url} (${u.reason})`).join(', ');
    super(`cannot reach ${each}: ${fix}`, options);
  }
}

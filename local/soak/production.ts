// The soak's producer: the generator run in segments that can be paused, so that Kafka is only ever killed
// between two segments. The generator's producer is not idempotent and a send that fails may still have been
// written (or written twice by kafkajs's own retries): a broker killed under it would make the ground truth
// inexact. Paused at a segment boundary, every record in the topic is one the brokers acknowledged.
import { type CategoryCounts, GeneratorError, type GroundTruth, runGenerator } from '../../generator/run.js';

export interface ProductionOptions {
  readonly topic: string;
  readonly brokers: readonly string[];
  /** Events per second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly seed: string;
  readonly accounts: number;
  readonly badRatio: number;
  readonly suspiciousRatio: number;
  /** The database whose users table the first segment seeds. */
  readonly mysqlUrl: string;
  /** Ends production early (the segment in flight is awaited). */
  readonly signal: AbortSignal;
}

export interface ProductionResult {
  /** Acknowledged events per expected category, summed over the segments. */
  readonly expected: CategoryCounts;
  readonly sent: number;
  readonly segments: number;
  /** From the start of production to its end, pauses included. */
  readonly elapsedMs: number;
  /** Segments that ended on a failed send: their unacknowledged records may be in the topic anyway. */
  readonly failures: readonly string[];
}

export interface Production {
  /** Stops the current segment; resolves once its in-flight sends are acknowledged (or failed). */
  pause(): Promise<void>;
  resume(): void;
  /**
   * Keeps production going past its duration until the returned release is called (the chaos holds it open
   * while a fault is still to come or recovering: a recovery only shows with new records).
   */
  hold(): () => void;
  /** Events acknowledged so far. */
  sent(): number;
  readonly done: Promise<ProductionResult>;
}

/** A segment's length while production is held open past its end: short, so a release ends it soon. */
const HELD_SEGMENT_MS = 5_000;

/** Produces for `durationMs` of wall-clock time, pauses included, starting now, or longer while held. */
export function startProduction(options: ProductionOptions): Production {
  const startedAt = Date.now();
  const endsAt = startedAt + options.durationMs;
  let holds = 0;
  const expected: CategoryCounts = { good: 0, suspicious: 0, bad: 0 };
  const failures: string[] = [];
  let sentBefore = 0;
  let sentInSegment = 0;
  let segments = 0;
  let segment: { abort: AbortController; finished: Promise<void> } | undefined;
  // Checked right before a segment starts, so that no segment can begin once pause() has been called.
  let paused = false;
  let resumed: Promise<void> = Promise.resolve();
  let resume = () => {};

  const add = (truth: GroundTruth) => {
    for (const category of ['good', 'suspicious', 'bad'] as const)
      expected[category] += truth.byCategory[category];
    sentBefore += truth.sent;
    sentInSegment = 0;
  };

  const runSegment = async (abort: AbortController) => {
    const index = segments++;
    try {
      add(
        await runGenerator(
          {
            topic: options.topic,
            brokers: options.brokers,
            durationSeconds: Math.max(holds > 0 ? HELD_SEGMENT_MS : 1, endsAt - Date.now()) / 1000,
            rate: options.rate,
            badRatio: options.badRatio,
            suspiciousRatio: options.suspiciousRatio,
            // A seed per segment: each one starts its event stream afresh, and event ids stay distinct.
            seed: `${options.seed}/${index}`,
            accounts: options.accounts,
            // Seeded once, before any fault can take the database away.
            ...(index === 0 ? { mysqlUrl: options.mysqlUrl } : {}),
            clientId: 'log-soak',
          },
          {
            signal: AbortSignal.any([abort.signal, options.signal]),
            onProgress: (progress) => {
              sentInSegment = progress.sent;
            },
          },
        ),
      );
    } catch (error) {
      // Seeding happens in the first segment only: without users there is no soak to run.
      if (index === 0 && !(error instanceof GeneratorError)) throw error;
      if (error instanceof GeneratorError) add(error.groundTruth);
      failures.push(`segment ${index}: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  };

  const done = (async (): Promise<ProductionResult> => {
    const over = () => options.signal.aborted || (holds === 0 && Date.now() >= endsAt);
    while (!over()) {
      while (paused) await resumed;
      if (over()) break;
      const abort = new AbortController();
      const finished = runSegment(abort);
      segment = { abort, finished: finished.catch(() => undefined) };
      await finished;
      segment = undefined;
    }
    return {
      expected: { ...expected },
      sent: sentBefore,
      segments,
      elapsedMs: Date.now() - startedAt,
      failures,
    };
  })();

  return {
    pause: async () => {
      paused = true;
      resumed = new Promise((r) => {
        resume = r;
      });
      const current = segment;
      current?.abort.abort();
      await current?.finished;
    },
    resume: () => {
      paused = false;
      resume();
    },
    hold: () => {
      holds++;
      let released = false;
      return () => {
        if (!released) holds--;
        released = true;
      };
    },
    sent: () => sentBefore + sentInSegment,
    done,
  };
}

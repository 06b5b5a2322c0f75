// What the stack lifecycle needs from each local component (Kafka, OpenSearch, MariaDB).
import type { ComponentName } from './paths.js';
import type { Progress } from './progress.js';

export interface Component {
  readonly name: ComponentName;
  /** Main loopback port (the one clients use). */
  readonly port: number;
  /** How long start-up may take before it counts as failed. */
  readonly healthTimeoutMs: number;
  /** True when the component is provided from outside (e.g. `MYSQL_URL`): only checked, never started. */
  isExternal(): boolean;
  /** Answers the way clients will use it (quick, never throws). */
  probe(): Promise<boolean>;
  /** Probe used while starting, before `afterHealthy` has run. @default - `probe` */
  startupProbe?(): Promise<boolean>;
  /** Downloads, installs and initialises what the launch needs (idempotent). */
  prepare(progress: Progress): Promise<void>;
  /** Spawns the detached server process and returns its pid. */
  launch(): number;
  /** One-time setup once the server answers (users, databases). */
  afterHealthy?(progress: Progress): Promise<void>;
  /** Version string of the running server (or of its artifact), undefined when unknown. */
  version(): Promise<string | undefined>;
}

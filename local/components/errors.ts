// Typed errors of the local stack scripts: which component failed, and where its log is.
import { PipelineError } from '../../core/errors.js';
import type { ComponentName } from './paths.js';

/** The local stack could not be prepared (download, install, configuration). */
export class StackError extends PipelineError {}

/** A component did not come up healthy; carries its log path so the CLI can show the tail, and the fix. */
export class ComponentStartError extends StackError {
  readonly component: ComponentName;
  readonly logPath: string;
  /** What to do about it. @default - read the log */
  readonly fix: string;
  /** The log line that says why, shown with the log's last lines even when they have scrolled past it. */
  readonly causeLine?: string;

  constructor(
    component: ComponentName,
    message: string,
    logPath: string,
    options?: { cause?: unknown; fix?: string; causeLine?: string },
  ) {
    super(`${component}: ${message}`, options);
    this.component = component;
    this.logPath = logPath;
    this.causeLine = options?.causeLine;
    this.fix =
      options?.fix ??
      `the log says why; fix that and run \`npm run stack:start\` again (\`npm run stack:stop\` first to start afresh)`;
  }
}

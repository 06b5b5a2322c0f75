// Typed errors of the local stack scripts: which component failed, and where its log is.
import { PipelineError } from '../../core/errors.js';
import type { ComponentName } from './paths.js';

/** The local stack could not be prepared (download, install, configuration). */
export class StackError extends PipelineError {}

/** A component did not come up healthy; carries its log path so the CLI can show the tail. */
export class ComponentStartError extends StackError {
  readonly component: ComponentName;
  readonly logPath: string;

  constructor(component: ComponentName, message: string, logPath: string, options?: { cause?: unknown }) {
    super(`${component}: ${message}`, options);
    this.component = component;
    this.logPath = logPath;
  }
}

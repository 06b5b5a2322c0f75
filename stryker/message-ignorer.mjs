// A StrykerJS ignorer (`ignorers: ['messages']` in stryker.config.mjs): mutants in log calls and in the message
// of a thrown error change only what a person reads, never which document a record becomes, what is committed
// or whether the consumer waits or stops. Ignored mutants are reported as such and left out of the score.
// The cause (an error's second argument) stays mutated: it decides isRetriable.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const LOG_METHODS = new Set(['debug', 'info', 'warn', 'error']);
const LOGGERS = new Set(['logger', 'log']);

/** `logger.warn(...)`, `log.debug(...)`, `this.options.logger?.warn(...)`, `deps.logger?.debug(...)`. */
function isLogCall(node) {
  if (node.type !== 'CallExpression' && node.type !== 'OptionalCallExpression') return false;
  const callee = node.callee;
  if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return false;
  if (callee.property.type !== 'Identifier' || !LOG_METHODS.has(callee.property.name)) return false;
  const target = callee.object;
  if (target.type === 'Identifier') return LOGGERS.has(target.name);
  return (
    (target.type === 'MemberExpression' || target.type === 'OptionalMemberExpression') &&
    target.property.type === 'Identifier' &&
    LOGGERS.has(target.property.name)
  );
}

/** The message argument of `new SomethingError(message, ...)`. */
function isErrorMessage(path) {
  const parent = path.parentPath;
  if (parent === null || parent.node.type !== 'NewExpression') return false;
  const callee = parent.node.callee;
  return callee.type === 'Identifier' && /Error$/.test(callee.name) && parent.node.arguments[0] === path.node;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'messages', {
    shouldIgnore(path) {
      if (isLogCall(path.node)) return 'a log line: what a person reads, not what the pipeline does';
      if (isErrorMessage(path)) return "an error's message: what a person reads (its class and cause decide)";
      return undefined;
    },
  }),
];

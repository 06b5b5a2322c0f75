// How to open the live dashboard on the data a command just wrote: the line the demo prints when it leaves
// the stack up.
import { DEFAULT_INDEX_PREFIX } from '../../core/documents.js';
import { LOCAL_HOST, LOCAL_PORTS } from '../endpoints.js';

export function dashboardHint(indexPrefix: string): string {
  const args = indexPrefix === DEFAULT_INDEX_PREFIX ? '' : ` -- --index-prefix ${indexPrefix}`;
  return `dashboard  npm run dashboard${args}, then open http://${LOCAL_HOST}:${LOCAL_PORTS.dashboard}/`;
}

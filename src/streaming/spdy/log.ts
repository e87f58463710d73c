// The SPDY layer's logger (its accept functions are called without one).
import { createLogger } from '../../log/index.js';

export const spdyLog = createLogger({}, { component: 'streaming/spdy' });

/** The request path for log lines, without the query (exec commands may carry secrets). */
export function pathOf(req: { url?: string }): string {
  return (req.url ?? '').split('?')[0] ?? '';
}

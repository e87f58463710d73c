// The SPDY layer's logger (its accept functions are called without one).
import { createLogger } from '../../log/index.js';

export const spdyLog = createLogger({}, { component: 'streaming/spdy' });

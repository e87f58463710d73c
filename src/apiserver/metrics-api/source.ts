// The node's usage as the embedded API reads it: the node API's /stats/summary over the
// NodeConnection, kept for a moment so one `kubectl top` (a list, then a list of nodes) and
// several clients at once cost one reading.
import type { Summary } from '../../stats/index.js';
import type { NodeConnection } from '../node-connection.js';
import { nodeGet, readText } from '../node-client.js';
import { ApiError } from '../status.js';

/** How long a reading is reused. */
export const SUMMARY_TTL_MS = 2000;

export class UsageSource {
  private cached: { at: number; summary: Summary } | undefined;
  private inFlight: Promise<Summary> | undefined;

  constructor(private readonly node: NodeConnection) {}

  summary(): Promise<Summary> {
    if (this.cached && Date.now() - this.cached.at < SUMMARY_TTL_MS) return Promise.resolve(this.cached.summary);
    this.inFlight ??= this.read().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async read(): Promise<Summary> {
    const where = `${this.node.url()}/stats/summary`;
    let res;
    try {
      res = await nodeGet(this.node, '/stats/summary', { accept: 'application/json' });
    } catch (err) {
      throw new ApiError(503, 'ServiceUnavailable', `metrics are not available: ${(err as Error).message}`);
    }
    const text = await readText(res).catch((err: Error) => {
      throw new ApiError(503, 'ServiceUnavailable', `metrics are not available: reading ${where} failed: ${err.message}`);
    });
    if (res.statusCode !== 200) {
      throw new ApiError(503, 'ServiceUnavailable', `metrics are not available: ${where} answered ${res.statusCode}: ${text.trim().slice(0, 500)}`);
    }
    let summary: Summary;
    try {
      summary = JSON.parse(text) as Summary;
    } catch {
      throw new ApiError(503, 'ServiceUnavailable', `metrics are not available: ${where} did not answer with JSON`);
    }
    if (!summary?.node || !Array.isArray(summary.pods)) {
      throw new ApiError(503, 'ServiceUnavailable', `metrics are not available: ${where} is not a stats/v1alpha1 Summary (no node or pods)`);
    }
    this.cached = { at: Date.now(), summary };
    return summary;
  }
}

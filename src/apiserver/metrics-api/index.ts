// metrics-api/: metrics.k8s.io/v1beta1 in the embedded API, so `kubectl top node` and
// `kubectl top pod` work against one machine as against a cluster running metrics-server.
// Nothing is stored: every answer is made from the node API's current reading.
import type { Answer, HandlerContext } from '../handlers.js';
import { selectorFor } from '../handlers.js';
import { encodeList, encodeObject, type Output } from '../output.js';
import { nodeMetrics, nodes, pods, resourceKey, type ResourceDef } from '../resources.js';
import { ApiError } from '../status.js';
import { nodeMetricsOf, podMetricsOf } from './objects.js';
import type { UsageSource } from './source.js';

export { UsageSource, SUMMARY_TTL_MS } from './source.js';
export { cpuQuantity, memoryQuantity } from './quantities.js';

export interface MetricsRequest {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  query: URLSearchParams;
}

/** A get or list of NodeMetrics or PodMetrics. */
export async function serveMetrics(ctx: HandlerContext, usage: UsageSource, r: MetricsRequest, out: Output): Promise<Answer> {
  const summary = await usage.summary();
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const labelsOf = (def: ResourceDef, ns: string | undefined, name: string) => ctx.store.get(resourceKey(def), ns, name)?.metadata.labels;
  let items =
    r.def === nodeMetrics
      ? nodeMetricsOf(summary, labelsOf(nodes, undefined, summary.node.nodeName), now)
      : podMetricsOf(summary, (ns, name) => labelsOf(pods, ns, name), now);
  if (r.namespace !== undefined) items = items.filter((o) => o.metadata.namespace === r.namespace);
  if (r.name !== undefined) {
    const found = items.find((o) => o.metadata.name === r.name);
    if (!found) {
      const what = r.namespace !== undefined ? `${r.namespace}/${r.name}` : r.name;
      throw new ApiError(404, 'NotFound', `${r.def.plural}.metrics.k8s.io "${what}" not found`, { name: r.name, group: 'metrics.k8s.io', kind: r.def.plural });
    }
    return { code: 200, encoded: encodeObject(r.def, found, out, Date.now()) };
  }
  const matches = selectorFor(r.def, r.query);
  return { code: 200, encoded: encodeList(r.def, items.filter(matches), '', out, Date.now()) };
}

// pods/log reads the node API's /containerLogs, exactly as kube-apiserver proxies a log request to
// the kubelet: the query translated, the container's log streamed back.
import type { NodeConnection } from './node-connection.js';
import { nodeGet, readText } from './node-client.js';
import { LogNotFoundError, type LogReader } from './logs.js';

export function nodeLogReader(node: NodeConnection): LogReader {
  return async (req) => {
    const q = new URLSearchParams();
    if (req.follow) q.set('follow', 'true');
    if (req.previous) q.set('previous', 'true');
    if (req.timestamps) q.set('timestamps', 'true');
    if (req.tailLines !== undefined) q.set('tailLines', String(req.tailLines));
    if (req.sinceSeconds !== undefined) q.set('sinceSeconds', String(req.sinceSeconds));
    if (req.sinceTime !== undefined) q.set('sinceTime', req.sinceTime);
    if (req.limitBytes !== undefined) q.set('limitBytes', String(req.limitBytes));
    const path = `/containerLogs/${encodeURIComponent(req.namespace)}/${encodeURIComponent(req.pod)}/${encodeURIComponent(req.container)}?${q}`;
    const res = await nodeGet(node, path);
    if (res.statusCode === 200) return res;
    const message = (await readText(res, 64 * 1024).catch(() => '')).trim() || `node answered ${res.statusCode}`;
    if (res.statusCode === 404) throw new LogNotFoundError(message);
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new Error(`the node API at ${node.url()} refused the API server's credentials (${res.statusCode}): ${message}; check the node API's --client-ca-file and the API server's client certificate or token`);
    }
    throw Object.assign(new Error(message), { statusCode: res.statusCode === 400 ? 400 : 500 });
  };
}

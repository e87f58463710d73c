// The embedded API server's pods/log reads the node's /containerLogs over HTTPS with its own client
// certificate, exactly as a real API server proxies to the kubelet: one path for logs, whichever
// API serves kubectl.
import { request } from 'node:https';
import { LogNotFoundError, type LogReader, type NodeConnection } from '../apiserver/index.js';

export function nodeLogReader(node: NodeConnection): LogReader {
  return (req) =>
    new Promise((resolve, reject) => {
      const q = new URLSearchParams();
      if (req.follow) q.set('follow', 'true');
      if (req.previous) q.set('previous', 'true');
      if (req.timestamps) q.set('timestamps', 'true');
      if (req.tailLines !== undefined) q.set('tailLines', String(req.tailLines));
      if (req.sinceSeconds !== undefined) q.set('sinceSeconds', String(req.sinceSeconds));
      if (req.sinceTime !== undefined) q.set('sinceTime', req.sinceTime);
      if (req.limitBytes !== undefined) q.set('limitBytes', String(req.limitBytes));
      const url = new URL(`/containerLogs/${encodeURIComponent(req.namespace)}/${encodeURIComponent(req.pod)}/${encodeURIComponent(req.container)}?${q}`, node.url());
      const r = request(
        url,
        {
          ca: node.caCertPem,
          cert: node.clientCertPem,
          key: node.clientKeyPem,
          headers: node.token ? { Authorization: `Bearer ${node.token}` } : {},
        },
        (res) => {
          if (res.statusCode === 200) {
            resolve(res);
            return;
          }
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => {
            const message = body.trim() || `node answered ${res.statusCode}`;
            reject(res.statusCode === 404 ? new LogNotFoundError(message) : Object.assign(new Error(message), { statusCode: res.statusCode === 400 ? 400 : 500 }));
          });
        },
      );
      r.on('error', reject);
      r.end();
    });
}

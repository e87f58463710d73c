// Bringing an existing kubeconfig up to date with this server instead of overwriting it: only the
// berth cluster's server and CA and the berth user's token are set, and only when they changed, so
// whatever the user edited (the context's namespace as `kubens` sets it, other clusters, contexts,
// the current context, comments) stays as it is. Upstream kubeadm and k3s rewrite the file whole;
// a single-machine tool that restarts often must not undo the user's choices each time.
import { isMap, isSeq, parseDocument, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { buildKubeconfig, type KubeconfigOptions } from './kubeconfig.js';

/** The entry of a named list (`clusters`, `users`, `contexts`) called `name`, if any. */
function entry(doc: Document, list: string, name: string): YAMLMap | undefined {
  const seq = doc.get(list);
  if (!isSeq(seq)) return undefined;
  return seq.items.find((i): i is YAMLMap => isMap(i) && i.get('name') === name);
}

function append(doc: Document, list: string, value: unknown): void {
  let seq = doc.get(list);
  if (!isSeq(seq)) {
    seq = new YAMLSeq();
    doc.set(list, seq);
  }
  (seq as YAMLSeq).add(doc.createNode(value));
}

/** Sets `path` under `m` to `value`; true when that changed something. */
function setIfDifferent(doc: Document, m: YAMLMap, path: string[], value: string): boolean {
  if (m.getIn(path) === value) return false;
  m.setIn(path, doc.createNode(value));
  return true;
}

/**
 * The kubeconfig text to write, or undefined when `existing` already points at this server with this
 * CA and token. An absent or unreadable file gets a fresh kubeconfig.
 */
export function updatedKubeconfig(
  existing: string | undefined,
  url: string,
  caCertPem: string,
  token: string,
  opts: KubeconfigOptions = {},
): string | undefined {
  const fresh = () => buildKubeconfig(url, caCertPem, token, opts);
  if (existing === undefined || existing.trim() === '') return fresh();
  const doc = parseDocument(existing);
  if (doc.errors.length || !isMap(doc.contents) || doc.get('kind') !== 'Config') return fresh();

  const name = opts.clusterName ?? 'berth';
  const ca = Buffer.from(caCertPem).toString('base64');
  let changed = false;

  const cluster = entry(doc, 'clusters', name);
  if (cluster) {
    changed = setIfDifferent(doc, cluster, ['cluster', 'server'], url) || changed;
    changed = setIfDifferent(doc, cluster, ['cluster', 'certificate-authority-data'], ca) || changed;
  } else {
    append(doc, 'clusters', { name, cluster: { server: url, 'certificate-authority-data': ca } });
    changed = true;
  }
  const user = entry(doc, 'users', name);
  if (user) changed = setIfDifferent(doc, user, ['user', 'token'], token) || changed;
  else {
    append(doc, 'users', { name, user: { token } });
    changed = true;
  }
  if (!entry(doc, 'contexts', name)) {
    append(doc, 'contexts', { name, context: { cluster: name, user: name, namespace: opts.namespace ?? 'default' } });
    changed = true;
  }
  if (!doc.get('current-context')) {
    doc.set('current-context', name);
    changed = true;
  }
  return changed ? doc.toString() : undefined;
}

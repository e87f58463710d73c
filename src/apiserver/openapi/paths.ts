// The REST operations of every served resource, described as OpenAPI v2 path items (the v3
// documents are converted from these). They are derived from the resource definitions in
// ../resources.ts, so a resource added there is documented without touching this file. Operation
// ids, x-kubernetes-action values and parameters follow kube-apiserver's naming, which clients
// (kubectl's parameter checks, generated clients) key on.
import { isStreamSubresource, type ResourceDef, type StreamSubresource } from '../resources.js';
import { definitionOf, type Definitions, type Schema } from './schema.js';

export interface Parameter {
  name: string;
  in: 'query' | 'path' | 'body';
  description: string;
  required?: boolean;
  type?: string;
  uniqueItems?: boolean;
  /** body parameters only */
  schema?: Schema;
}

export interface Operation {
  description: string;
  operationId: string;
  tags: string[];
  consumes: string[];
  produces: string[];
  parameters: Parameter[];
  responses: Record<string, { description: string; schema?: Schema }>;
  schemes: string[];
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': { group: string; version: string; kind: string };
}

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

export interface PathItem {
  parameters: Parameter[];
  get?: Operation;
  put?: Operation;
  post?: Operation;
  delete?: Operation;
  patch?: Operation;
}

export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
const PRODUCES = ['application/json', 'application/yaml'];
const WATCH_PRODUCES = [...PRODUCES, 'application/json;stream=watch'];

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Schema => ({ $ref: name });

function q(name: string, type: string, description: string, uniqueItems = true): Parameter {
  return { name, in: 'query', type, uniqueItems, description };
}

const P = {
  pretty: q('pretty', 'string', "If 'true', then the output is pretty printed."),
  dryRun: q('dryRun', 'string', 'When present (the only valid value is All), the request is checked and answered but nothing is stored.'),
  fieldManager: q('fieldManager', 'string', 'Name of the actor making the change; recorded in metadata.managedFields. Required for apply patches.'),
  force: q('force', 'boolean', 'Apply patches only: take over the fields other managers own instead of answering 409 Conflict.'),
  labelSelector: q('labelSelector', 'string', 'Only objects whose labels match this selector.'),
  fieldSelector: q('fieldSelector', 'string', 'Only objects whose fields match this selector.'),
  limit: q('limit', 'integer', 'At most this many items per response; the list metadata carries a continue token for the rest.'),
  cont: q('continue', 'string', 'The continue token of a previous, limited list, to get the next items.'),
  resourceVersion: q('resourceVersion', 'string', 'Which version of the data to serve (lists) or to start watching after (watches).'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'End the list or watch after this many seconds.'),
  watch: q('watch', 'boolean', 'Stream changes (ADDED, MODIFIED, DELETED) instead of answering a list.'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'Watches only: the server may send BOOKMARK events carrying only a resourceVersion.'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'Watches only: start with synthetic ADDED events for the current state.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; 0 deletes at once.'),
  propagationPolicy: q('propagationPolicy', 'string', 'Whether and how dependents are deleted: Orphan, Background or Foreground.'),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.cont,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];

function pathParam(name: string, description: string): Parameter {
  return { name, in: 'path', required: true, type: 'string', uniqueItems: true, description };
}

function body(schema: Schema): Parameter {
  return { name: 'body', in: 'body', required: true, description: 'The request body.', schema };
}

/** CoreV1, CoordinationV1: the part of operation ids that names the group version. */
function gvId(def: ResourceDef): string {
  const first = def.group === '' ? 'core' : def.group.split('.')[0]!;
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return cap(first.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())) + cap(def.version);
}

function tag(def: ResourceDef): string {
  return def.group === '' ? `core_${def.version}` : `${def.group.split('.')[0]}_${def.version}`;
}

export interface ResourcePaths {
  /** The path prefix of the group version: /api/v1 or /apis/<group>/<version>. */
  prefix: string;
  paths: Record<string, PathItem>;
  /** Definitions the operations refer to (kinds, lists, meta types). */
  roots: string[];
}

const STREAM_FLAGS = [
  q('container', 'string', 'The container to connect to; may be omitted when the pod has one container.'),
  q('stderr', 'boolean', 'Redirect the standard error stream of the pod for this call.'),
  q('stdin', 'boolean', 'Redirect the standard input stream of the pod for this call.'),
  q('stdout', 'boolean', 'Redirect the standard output stream of the pod for this call.'),
  q('tty', 'boolean', 'Allocate a terminal for this call.'),
];
const CONNECT_PARAMS: Record<StreamSubresource, Parameter[]> = {
  attach: STREAM_FLAGS,
  exec: [q('command', 'string', 'The command and its arguments, one parameter each.'), ...STREAM_FLAGS],
  portforward: [q('ports', 'integer', 'Ports to forward.')],
};

/** The path items of one resource; undefined when the kind has no generated definition. */
export function resourcePaths(defs: Definitions, def: ResourceDef): ResourcePaths | undefined {
  const kindDef = definitionOf(defs, { group: def.group, version: def.version, kind: def.kind });
  const listDef = definitionOf(defs, { group: def.group, version: def.version, kind: def.listKind });
  if (!kindDef || !listDef) return undefined;
  const prefix = def.group === '' ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
  const gvk = { group: def.group, version: def.version, kind: def.kind };
  const id = gvId(def);
  const scope = def.namespaced ? 'Namespaced' : '';
  const what = def.kind;
  const op = (action: string, operationId: string, description: string, parameters: Parameter[], responses: Operation['responses'], consumes = ['*/*'], produces = PRODUCES): Operation => ({
    description,
    operationId,
    tags: [tag(def)],
    consumes,
    produces,
    parameters,
    responses: { ...responses, '401': { description: 'Unauthorized' } },
    schemes: ['https'],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const ok = (name: string) => ({ '200': { description: 'OK', schema: ref(name) } });
  const nsParam = pathParam('namespace', 'object name and auth scope, such as for teams and projects');
  const nameParam = pathParam('name', `name of the ${what}`);
  const collectionParams = def.namespaced ? [nsParam, P.pretty] : [P.pretty];
  const itemParams = def.namespaced ? [nameParam, nsParam, P.pretty] : [nameParam, P.pretty];
  const base = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.plural}` : `${prefix}/${def.plural}`;
  const paths: Record<string, PathItem> = {};

  const collection: PathItem = { parameters: collectionParams };
  if (def.verbs.includes('list')) {
    collection.get = op('list', `list${id}${scope}${what}`, `list or watch objects of kind ${what}`, LIST_PARAMS, ok(listDef), ['*/*'], WATCH_PRODUCES);
  }
  if (def.verbs.includes('create')) {
    collection.post = op('post', `create${id}${scope}${what}`, `create a ${what}`, [body(ref(kindDef)), P.dryRun, P.fieldManager], {
      ...ok(kindDef),
      '201': { description: 'Created', schema: ref(kindDef) },
      '202': { description: 'Accepted', schema: ref(kindDef) },
    });
  }
  if (def.verbs.includes('deletecollection')) {
    collection.delete = op(
      'deletecollection',
      `delete${id}Collection${scope}${what}`,
      `delete a collection of ${what}`,
      [body(ref(`${META}.DeleteOptions`)), ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy],
      ok(`${META}.Status`),
    );
  }
  paths[base] = collection;

  const item: PathItem = { parameters: itemParams };
  if (def.verbs.includes('get')) item.get = op('get', `read${id}${scope}${what}`, `read the specified ${what}`, [], ok(kindDef));
  if (def.verbs.includes('update')) {
    item.put = op('put', `replace${id}${scope}${what}`, `replace the specified ${what}`, [body(ref(kindDef)), P.dryRun, P.fieldManager], {
      ...ok(kindDef),
      '201': { description: 'Created', schema: ref(kindDef) },
    });
  }
  if (def.verbs.includes('patch')) {
    item.patch = op('patch', `patch${id}${scope}${what}`, `partially update the specified ${what}`, [body(ref(`${META}.Patch`)), P.dryRun, P.fieldManager, P.force], {
      ...ok(kindDef),
      '201': { description: 'Created', schema: ref(kindDef) },
    }, PATCH_CONTENT_TYPES);
  }
  if (def.verbs.includes('delete')) {
    item.delete = op('delete', `delete${id}${scope}${what}`, `delete a ${what}`, [body(ref(`${META}.DeleteOptions`)), P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy], {
      ...ok(kindDef),
      '202': { description: 'Accepted', schema: ref(kindDef) },
    });
  }
  paths[`${base}/{name}`] = item;

  for (const sub of def.subresources) {
    const cap = sub.name.charAt(0).toUpperCase() + sub.name.slice(1);
    const p: PathItem = { parameters: itemParams };
    if (sub.name === 'log') {
      p.get = op('get', `read${id}${scope}${what}Log`, `read the log of the specified ${what}'s container`, [
        q('container', 'string', 'The container to read the log of; may be omitted when the pod has one container.'),
        q('follow', 'boolean', 'Keep streaming the log as it is written.'),
        q('limitBytes', 'integer', 'Stop after this many bytes.'),
        q('previous', 'boolean', 'The log of the previous, terminated instance of the container.'),
        q('sinceSeconds', 'integer', 'Only lines newer than this many seconds.'),
        q('sinceTime', 'string', 'Only lines newer than this RFC 3339 time.'),
        q('tailLines', 'integer', 'Only this many lines from the end of the log.'),
        q('timestamps', 'boolean', 'Start every line with its RFC 3339 timestamp.'),
      ], { '200': { description: 'OK', schema: { type: 'string' } } }, ['*/*'], ['text/plain', 'application/json', 'application/yaml']);
    } else if (isStreamSubresource(sub.name)) {
      // kube's "connect" operations: an upgraded stream (SPDY or WebSocket), proxied to the node.
      const params = CONNECT_PARAMS[sub.name];
      const stream = { '200': { description: 'OK', schema: { type: 'string' } } };
      const name = sub.name === 'portforward' ? 'PortForward' : cap;
      p.get = op('connect', `connectGet${id}${scope}${what}${name}`, `connect GET requests to ${sub.name} of ${what}`, params, stream, ['*/*'], ['*/*']);
      p.post = op('connect', `connectPost${id}${scope}${what}${name}`, `connect POST requests to ${sub.name} of ${what}`, params, stream, ['*/*'], ['*/*']);
    } else {
      if (sub.verbs.includes('get')) p.get = op('get', `read${id}${scope}${what}${cap}`, `read ${sub.name} of the specified ${what}`, [], ok(kindDef));
      if (sub.verbs.includes('update')) {
        p.put = op('put', `replace${id}${scope}${what}${cap}`, `replace ${sub.name} of the specified ${what}`, [body(ref(kindDef)), P.dryRun, P.fieldManager], {
          ...ok(kindDef),
          '201': { description: 'Created', schema: ref(kindDef) },
        });
      }
      if (sub.verbs.includes('patch')) {
        p.patch = op('patch', `patch${id}${scope}${what}${cap}`, `partially update ${sub.name} of the specified ${what}`, [body(ref(`${META}.Patch`)), P.dryRun, P.fieldManager, P.force], {
          ...ok(kindDef),
          '201': { description: 'Created', schema: ref(kindDef) },
        }, PATCH_CONTENT_TYPES);
      }
    }
    paths[`${base}/{name}/${sub.name}`] = p;
  }

  if (def.namespaced && def.verbs.includes('list')) {
    paths[`${prefix}/${def.plural}`] = {
      parameters: [P.pretty],
      get: op('list', `list${id}${what}ForAllNamespaces`, `list or watch objects of kind ${what} in every namespace`, LIST_PARAMS, ok(listDef), ['*/*'], WATCH_PRODUCES),
    };
  }
  return { prefix, paths, roots: [kindDef, listDef, `${META}.DeleteOptions`, `${META}.Status`, `${META}.Patch`, `${META}.WatchEvent`] };
}

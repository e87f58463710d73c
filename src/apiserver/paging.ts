// Lists as kube-apiserver returns them: sorted by namespace/name (etcd's key order), cut into
// pages by `limit`, each page ending with an opaque `continue` token that carries the
// resourceVersion of the first page and the last key sent. Every later page is read at that same
// resourceVersion, so a paged list (kubectl --chunk-size, informers' pagers) is one consistent
// snapshot: the store's history is used to undo what changed since. When the history no longer
// reaches back that far, the answer is 410 Expired with a fresh token that continues from the same
// key at the current state, exactly as upstream answers a compacted continue token.
import { ApiError, badRequest } from './status.js';
import { intParam, stringParam } from './query.js';
import type { KubeObject } from './resources.js';
import type { Store } from './store.js';
import type { Status } from 'kubernetes-types/meta/v1';

export interface Page {
  items: KubeObject[];
  /** The resourceVersion the page was read at. */
  resourceVersion: string;
  continue?: string;
  /** How many more items there are (only when no selector filters, as in kube). */
  remainingItemCount?: number;
}

interface Token {
  rv: number;
  /** The key after which to continue, with kube's trailing NUL. */
  start: string;
}

const TOKEN_VERSION = 'meta.k8s.io/v1';

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? '');
}

/** Sorts by key, computing each key once (a comparator building keys costs 100x more on 1000 pods). */
export function sortByKey(objects: KubeObject[]): KubeObject[] {
  const keyed = objects.map((o) => ({ k: keyOf(o), o }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.o);
}

export function encodeContinue(t: Token): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(raw: string): Token {
  const bad = (why: string) =>
    badRequest(`the continue token ${JSON.stringify(raw.length > 80 ? raw.slice(0, 80) + '…' : raw)} is not valid (${why}); start the list again without "continue"`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a token this server issued');
  }
  const t = v as { v?: unknown; rv?: unknown; start?: unknown };
  if (!t || typeof t !== 'object' || t.v !== TOKEN_VERSION) throw bad('not a token this server issued');
  if (typeof t.rv !== 'number' || !Number.isInteger(t.rv) || t.rv < -1 || t.rv === 0) throw bad('bad resource version');
  if (typeof t.start !== 'string' || t.start === '' || t.start.includes('..')) throw bad('bad start key');
  return { rv: t.rv, start: t.start };
}

/** 410 for a token whose resourceVersion is gone, carrying a token that continues inconsistently. */
class ContinueExpired extends ApiError {
  constructor(private readonly fresh: string) {
    super(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list ' +
        'without the continue parameter, or use the continue token in this response to retrieve the remainder of the ' +
        'results. Continuing with the provided token results in an inconsistent list - objects that were created, ' +
        'modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
  }

  override toStatus(): Status {
    return { ...super.toStatus(), metadata: { continue: this.fresh } };
  }
}

/** The objects of `resource` (in `namespace`) as they were at `rv`, or undefined when that is no longer known. */
function snapshotAt(store: Store, resource: string, namespace: string | undefined, rv: number): KubeObject[] | undefined {
  const h = store.since(resource, rv);
  if (h.kind !== 'ok') return undefined;
  const byKeyNow = new Map<string, KubeObject | undefined>();
  for (const o of store.list(resource, namespace)) byKeyNow.set(keyOf(o), o);
  const undone = new Set<string>();
  // The first change after rv of each key tells what that key held at rv.
  for (const e of h.events) {
    if (namespace !== undefined && (e.object.metadata.namespace ?? '') !== namespace) continue;
    const k = keyOf(e.object);
    if (undone.has(k)) continue;
    undone.add(k);
    if (e.type === 'ADDED') byKeyNow.set(k, undefined);
    else byKeyNow.set(k, e.prev ?? e.object);
  }
  return [...byKeyNow.values()].filter((o): o is KubeObject => o !== undefined);
}

/**
 * One page of a list. `filtered` says a label or field selector is in use (then, as in kube, no
 * remainingItemCount). Throws 400 for a bad limit or token, 410 for an expired token.
 */
export function listPage(
  store: Store,
  resource: string,
  namespace: string | undefined,
  matches: (o: KubeObject) => boolean,
  q: URLSearchParams,
  filtered: boolean,
): Page {
  const limit = intParam(q, 'limit');
  const raw = stringParam(q, 'continue') ?? '';
  let rv = store.resourceVersion;
  let objects: KubeObject[];
  let after = '';
  if (raw !== '') {
    const rvParam = stringParam(q, 'resourceVersion') ?? '';
    if (rvParam !== '' && rvParam !== '0') {
      throw badRequest('specifying resourceVersion is not allowed when using continue: drop one of the two parameters');
    }
    const t = decodeContinue(raw);
    after = t.start.replace(/\0$/, '');
    if (t.rv === -1) {
      objects = store.list(resource, namespace);
    } else {
      const snap = snapshotAt(store, resource, namespace, t.rv);
      if (!snap) throw new ContinueExpired(encodeContinue({ rv: -1, start: t.start }));
      objects = snap;
      rv = t.rv;
    }
  } else {
    objects = store.list(resource, namespace);
  }
  let items = sortByKey(objects.filter((o) => (after === '' || keyOf(o) > after) && matches(o)));
  const page: Page = { items, resourceVersion: String(rv) };
  if (limit !== undefined && limit > 0 && items.length > limit) {
    const rest = items.length - limit;
    items = items.slice(0, limit);
    page.items = items;
    page.continue = encodeContinue({ rv, start: keyOf(items[items.length - 1]!) + '\0' });
    if (!filtered) page.remainingItemCount = rest;
  }
  return page;
}

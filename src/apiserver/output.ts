// Response encoding chosen from the Accept header: plain JSON objects and lists, server-side
// Tables (kubectl get) or PartialObjectMetadata. Protobuf is never produced: kubectl always lists
// JSON as a fallback, and answering JSON to `application/vnd.kubernetes.protobuf,application/json`
// is what a JSON-only server does.
import type { KubeObject, ResourceDef } from './resources.js';
import { partialObjectMetadata, rowFor, toTable, type IncludeObject } from './tables.js';

export type Output =
  | { kind: 'json' }
  | { kind: 'table'; apiVersion: string; contentType: string; includeObject: IncludeObject }
  | { kind: 'partial'; apiVersion: string; contentType: string };

export function negotiateOutput(accept: string | undefined, includeObjectParam: string | null): Output {
  for (const part of (accept ?? '').split(',')) {
    const [media, ...params] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const eq = kv.indexOf('=');
      if (eq > 0) p[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
    }
    if (media !== 'application/json' && media !== '*/*' && media !== 'application/*' && media !== '') continue;
    if (!p['as']) return { kind: 'json' };
    const v = p['v'];
    if (p['g'] !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
    const apiVersion = `meta.k8s.io/${v}`;
    const contentType = `application/json;as=${p['as']};v=${v};g=meta.k8s.io`;
    if (p['as'] === 'Table') {
      const io = includeObjectParam === 'None' || includeObjectParam === 'Object' ? includeObjectParam : 'Metadata';
      return { kind: 'table', apiVersion, contentType, includeObject: io };
    }
    if (p['as'] === 'PartialObjectMetadata' || p['as'] === 'PartialObjectMetadataList') {
      return { kind: 'partial', apiVersion, contentType };
    }
  }
  return { kind: 'json' };
}

export interface Encoded {
  contentType: string;
  body: unknown;
}

export function encodeObject(def: ResourceDef, o: KubeObject, out: Output, now: number): Encoded {
  switch (out.kind) {
    case 'json':
      return { contentType: 'application/json', body: o };
    case 'table':
      return {
        contentType: out.contentType,
        body: toTable(def, [o], o.metadata.resourceVersion, { apiVersion: out.apiVersion, includeObject: out.includeObject, now }),
      };
    case 'partial':
      return { contentType: out.contentType, body: partialObjectMetadata(o, out.apiVersion) };
  }
}

/** A list's metadata beyond its resourceVersion: where the next page starts (paging.ts). */
export interface ListMore {
  continue?: string;
  remainingItemCount?: number;
}

export function encodeList(def: ResourceDef, items: readonly KubeObject[], rv: string, out: Output, now: number, more: ListMore = {}): Encoded {
  switch (out.kind) {
    case 'json':
      return {
        contentType: 'application/json',
        body: { kind: def.listKind, apiVersion: def.apiVersion, metadata: { resourceVersion: rv, ...more }, items },
      };
    case 'table': {
      const t = toTable(def, items, rv, { apiVersion: out.apiVersion, includeObject: out.includeObject, now });
      return { contentType: out.contentType, body: { ...t, metadata: { ...t.metadata, ...more } } };
    }
    case 'partial':
      return {
        contentType: `application/json;as=PartialObjectMetadataList;v=${out.apiVersion.split('/')[1]};g=meta.k8s.io`,
        body: {
          kind: 'PartialObjectMetadataList',
          apiVersion: out.apiVersion,
          metadata: { resourceVersion: rv, ...more },
          items: items.map((o) => partialObjectMetadata(o, out.apiVersion)),
        },
      };
  }
}

/** The `object` of one watch event in the requested output. */
export function encodeWatchObject(def: ResourceDef, o: KubeObject, out: Output, now: number): unknown {
  switch (out.kind) {
    case 'json':
      return o;
    case 'table':
      return {
        kind: 'Table',
        apiVersion: out.apiVersion,
        metadata: { resourceVersion: o.metadata.resourceVersion },
        columnDefinitions: [],
        rows: [rowFor(def, o, { apiVersion: out.apiVersion, includeObject: out.includeObject, now })],
      };
    case 'partial':
      return partialObjectMetadata(o, out.apiVersion);
  }
}

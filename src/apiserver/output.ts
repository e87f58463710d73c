// The shape of an answer, chosen from the Accept header (media/negotiate.ts): plain objects and
// lists, server-side Tables (kubectl get) or PartialObjectMetadata, built here in their JSON form;
// media/serialize.ts then writes that as JSON, YAML or protobuf.
import type { KubeObject, ResourceDef } from './resources.js';
import { partialObjectMetadata, rowFor, toTable, type IncludeObject } from './tables.js';

export type Output =
  | { kind: 'json' }
  | { kind: 'table'; apiVersion: string; contentType: string; includeObject: IncludeObject }
  | { kind: 'partial'; apiVersion: string; contentType: string };

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

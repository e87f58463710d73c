// Request bodies: read with a hard size limit (kube's 3 MiB), refusing an oversized body without
// ever buffering it, and decode JSON, YAML or Kubernetes protobuf by Content-Type.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { decodeProtobuf, ProtobufDecodeError, PROTOBUF_MEDIA_TYPE } from './protobuf/index.js';
import { badRequest, tooLarge, unsupportedMediaType } from './status.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** After refusing a body we still read (and drop) this much so the client can read our 413. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;

/** Thrown when the client went away before sending its whole body: nobody to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection before sending the whole request body');
    this.name = 'ClientGoneError';
  }
}

function drain(req: IncomingMessage): void {
  let dropped = 0;
  req.removeAllListeners('data');
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > DRAIN_CAP_BYTES) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    drain(req);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve(body!);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        finish(tooLarge(limit));
        drain(req);
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => finish(undefined, Buffer.concat(chunks, size));
    const onClose = () => finish(new ClientGoneError());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', () => finish(new ClientGoneError()));
  });
}

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaType(h: string | undefined): MediaType {
  const [type, ...rest] = (h ?? '').split(';').map((s) => s.trim());
  const params: Record<string, string> = {};
  for (const kv of rest) {
    const eq = kv.indexOf('=');
    if (eq > 0) params[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return { type: (type ?? '').toLowerCase(), params };
}

const OBJECT_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

/** Decodes a create/update/delete body (JSON, YAML or Kubernetes protobuf) into a plain object. */
export function decodeObject(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  const mt = parseMediaType(contentType);
  let value: unknown;
  if (mt.type === '' || mt.type === 'application/json' || mt.type === '*/*') {
    value = parseJson(body);
  } else if (mt.type === 'application/yaml' || mt.type === 'application/x-yaml' || mt.type === 'text/yaml') {
    try {
      value = parseYaml(body.toString('utf8'));
    } catch (err) {
      throw badRequest(`the request body is not valid YAML: ${(err as Error).message}`);
    }
  } else if (mt.type === PROTOBUF_MEDIA_TYPE) {
    try {
      // Go clients write every field, empty ones too: read "" as absent, as Go does.
      value = decodeProtobuf(body, { dropEmptyStrings: true });
    } catch (err) {
      if (err instanceof ProtobufDecodeError) throw badRequest(err.message);
      throw err;
    }
  } else {
    throw unsupportedMediaType(mt.type, OBJECT_TYPES);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('the request body must be a JSON object (a Kubernetes object with apiVersion, kind and metadata)');
  }
  return value as Record<string, unknown>;
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw badRequest('the request body is empty; send a JSON object');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

// The decode thread's entry point: decodes one manifest per message and posts the result back.
// Runs the very same decodePodManifest / decodePodListManifest as the main thread.
import { parentPort } from 'node:worker_threads';
import { decodePodListManifest, decodePodManifest } from './decode.js';
import type { DecodeRequest, DecodeResponse } from './off-thread.js';

parentPort!.on('message', (req: DecodeRequest) => {
  let res: DecodeResponse;
  try {
    const decode = req.kind === 'list' ? decodePodListManifest : decodePodManifest;
    res = { id: req.id, result: decode(Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength), req.identity) };
  } catch (err) {
    res = { id: req.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(res);
});

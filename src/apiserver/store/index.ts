// The embedded API's durable store: the in-memory store (the watch cache every request reads)
// backed by one SQLite file, so objects, their UIDs and creation times, the event history, the
// resourceVersion counter and the recent changes survive an agent restart.
//
// A file this berth cannot use (damaged, not a berth store, or written by a newer berth) is set
// aside next to itself, never deleted, and the store starts empty: the agent then republishes its
// Node and mirror pods from the node's own state, so the API comes back instead of failing at every
// start. Only the event history and user edits of labels are lost, and the error log says so.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../../log/index.js';
import { Store } from '../store.js';
import { StoreLockedError, StoreUnusableError, isBusy, isCorrupt } from './errors.js';
import { SqliteBackend } from './sqlite.js';

export { StoreWriteError, StoreLockedError } from './errors.js';
export { SCHEMA_VERSION } from './sqlite.js';

export interface DurableStoreOptions {
  /** The SQLite file, e.g. <root-dir>/api/state.db. */
  file: string;
  historySize: number;
  logger: Logger;
}

export interface DurableStore {
  store: Store;
  /** How long opening and loading the file took. */
  loadMs: number;
  /** Set when an unusable file was moved aside at start: where it went and why. */
  setAside?: { path: string; why: string };
  close(): void;
}

function open(o: DurableStoreOptions): { backend: SqliteBackend; store: Store } {
  const backend = new SqliteBackend({ file: o.file, historySize: o.historySize, startRv: Date.now() * 1000 });
  try {
    return { backend, store: new Store({ historySize: o.historySize, backend, snapshot: backend.load() }) };
  } catch (err) {
    backend.close();
    throw err;
  }
}

function unusableReason(err: unknown): string | undefined {
  if (err instanceof StoreUnusableError) return err.why;
  if (isCorrupt(err)) return `the file is damaged or not a database (${(err as Error).message})`;
  if (err instanceof SyntaxError) return `a stored object is not valid JSON (${err.message})`;
  return undefined;
}

/** Moves the store file and its WAL aside; returns the new name of the main file. */
function setAside(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const to = `${file}.unusable-${stamp}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, to + suffix);
  }
  return to;
}

export function openDurableStore(o: DurableStoreOptions): DurableStore {
  const started = performance.now();
  mkdirSync(dirname(o.file), { recursive: true, mode: 0o700 });
  let aside: DurableStore['setAside'];
  let opened: { backend: SqliteBackend; store: Store };
  try {
    opened = open(o);
  } catch (err) {
    if (isBusy(err)) throw new StoreLockedError(o.file);
    const why = unusableReason(err);
    if (why === undefined) {
      throw new Error(`cannot open the API store ${o.file}: ${(err as Error).message}; check the permissions and the file system of --root-dir`);
    }
    const path = setAside(o.file);
    aside = { path, why };
    o.logger.error(
      `apiserver: the API store ${o.file} cannot be used: ${why}; it was moved to ${path} and an empty store was created. ` +
        'The agent republishes its Node and mirror pods; earlier events and edits made through the API are not restored ' +
        `(to go back to a newer berth's store, stop this agent and move ${path} back to ${o.file})`,
      { file: o.file, setAside: path },
    );
    opened = open(o);
  }
  const { backend, store } = opened;
  return {
    store,
    loadMs: Math.round(performance.now() - started),
    ...(aside ? { setAside: aside } : {}),
    close: () => backend.close(),
  };
}

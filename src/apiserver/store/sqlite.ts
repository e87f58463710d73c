// The API's objects and its change history in one SQLite file (better-sqlite3, synchronous, so a
// write is durable before the request that made it is answered and before any watcher hears of it).
//
// Layout (schema version 1, in PRAGMA user_version; application_id marks the file as berth's):
//   meta(key, value)                       'rv': resourceVersion counter (the newest history row
//                                          is newer when there is one), 'compacted': history start
//   objects(resource, key, rv, data)       current objects; key = namespace/name; data = JSON
//   history(rv, resource, type, object, prev)  the last changes, for watches resumed after a restart
//
// Durability: WAL journal with synchronous=NORMAL. A commit has been written to the WAL file (the
// kernel holds it) before the call returns, so killing the process at any moment loses nothing
// that was answered; only a power cut or kernel crash can lose the last commits, and even then the
// file stays consistent (WAL frames are checksummed). FULL would add one fsync per write, a cost
// every event and status update would pay, for a failure whose loss the agent repairs anyway: it
// republishes its Node and mirror pods from the node's own state.
//
// locking_mode=EXCLUSIVE keeps the file locked while the agent runs, so a second agent on the same
// --root-dir is told so instead of both writing; the kernel drops the lock when a process dies.
import Database from 'better-sqlite3';
import type { KubeObject } from '../resources.js';
import type { EventType, StoreBackend, StoreEvent, StoreSnapshot } from '../store.js';
import { StoreWriteError, StoreUnusableError } from './errors.js';

export const SCHEMA_VERSION = 1;
/** 'BRTH': tells berth's store apart from any other SQLite file at the same path. */
export const APPLICATION_ID = 0x42525448;
/** History rows are trimmed in batches, not on every write. */
const TRIM_EVERY = 256;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE objects (resource TEXT NOT NULL, key TEXT NOT NULL, rv INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (resource, key)) WITHOUT ROWID;
CREATE TABLE history (rv INTEGER PRIMARY KEY, resource TEXT NOT NULL, type TEXT NOT NULL, object TEXT NOT NULL, prev TEXT);
`;

function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

export interface SqliteStoreOptions {
  file: string;
  /** History rows kept (the watch cache's ring size). */
  historySize: number;
  /** resourceVersion of a new, empty store. */
  startRv: number;
}

export class SqliteBackend implements StoreBackend {
  private readonly db: Database.Database;
  private readonly put: Database.Statement;
  private readonly del: Database.Statement;
  private readonly addHistory: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly trimHistory: Database.Statement;
  private readonly commitTx: (events: readonly StoreEvent[]) => void;
  private readonly readHistory: Database.Statement;
  private writes = 0;

  /** Opens (or creates) the file; throws StoreUnusableError when it is not a store this version can read. */
  constructor(private readonly o: SqliteStoreOptions) {
    // A short busy wait covers an agent that is still shutting down; longer means another agent.
    const db = new Database(o.file, { timeout: 1000 });
    this.db = db;
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Bounds the page cache (KiB) and the WAL left behind after a checkpoint.
      db.pragma('cache_size = -512');
      db.pragma('journal_size_limit = 4194304');
      this.prepareSchema();
    } catch (err) {
      db.close();
      throw err;
    }
    this.put = db.prepare('INSERT OR REPLACE INTO objects (resource, key, rv, data) VALUES (?, ?, ?, ?)');
    this.del = db.prepare('DELETE FROM objects WHERE resource = ? AND key = ?');
    this.addHistory = db.prepare('INSERT INTO history (rv, resource, type, object, prev) VALUES (?, ?, ?, ?, ?)');
    this.setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.trimHistory = db.prepare('DELETE FROM history WHERE rv <= ?');
    this.readHistory = db.prepare('SELECT rv, type, object, prev FROM history WHERE rv > ? AND rv <= ? AND resource = ? ORDER BY rv');
    // The counter is not written on every change: the history always holds the newest change, so
    // load() takes the largest version it finds (one page less to write per commit).
    this.commitTx = db.transaction((events: readonly StoreEvent[]) => {
      for (const e of events) {
        const key = objectKey(e.object);
        const json = JSON.stringify(e.object);
        if (e.type === 'DELETED') this.del.run(e.resource, key);
        else this.put.run(e.resource, key, e.rv, json);
        this.addHistory.run(e.rv, e.resource, e.type, json, e.prev ? JSON.stringify(e.prev) : null);
        if (++this.writes % TRIM_EVERY === 0) {
          this.setMeta.run('rv', e.rv);
          const compacted = e.rv - this.o.historySize;
          this.trimHistory.run(compacted);
          this.setMeta.run('compacted', compacted);
        }
      }
    });
  }

  private prepareSchema(): void {
    const db = this.db;
    const f = this.o.file;
    // The first read of a file that is not a database fails here with SQLITE_NOTADB.
    const version = db.pragma('user_version', { simple: true }) as number;
    const appId = db.pragma('application_id', { simple: true }) as number;
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    if (version === 0 && appId === 0 && tables === 0) {
      db.exec('BEGIN');
      db.exec(SCHEMA);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('rv', this.o.startRv, 'compacted', this.o.startRv);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      db.exec('COMMIT');
      return;
    }
    if (appId !== APPLICATION_ID) throw new StoreUnusableError(f, 'not a berth API store (another SQLite database)');
    if (version > SCHEMA_VERSION) {
      throw new StoreUnusableError(f, `written by a newer berth (store schema ${version}; this berth reads schema ${SCHEMA_VERSION})`);
    }
    if (version < 1) throw new StoreUnusableError(f, `unknown store schema ${version}`);
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new StoreUnusableError(f, `the file is damaged (integrity check: ${check})`);
  }

  /** Everything the in-memory store starts from. */
  load(): StoreSnapshot {
    const meta = new Map((this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: number }[]).map((r) => [r.key, r.value]));
    const counter = meta.get('rv');
    if (counter === undefined) throw new StoreUnusableError(this.o.file, 'the resourceVersion counter is missing');
    const newest = (this.db.prepare('SELECT max(rv) AS rv FROM history').get() as { rv: number | null }).rv ?? 0;
    const rv = Math.max(counter, newest);
    const compactedRv = Math.max(meta.get('compacted') ?? rv, rv - this.o.historySize);

    // History first: the last write of each object is also its current state, so the objects below
    // reuse those parsed copies instead of parsing the same JSON twice (and holding it twice).
    const history: StoreEvent[] = [];
    const latest = new Map<string, KubeObject>();
    // `prev` is read only where the history does not hold the object's previous version itself.
    const prevOf = this.db.prepare('SELECT prev FROM history WHERE rv = ?').pluck();
    const rows = this.db
      .prepare('SELECT rv, resource, type, object FROM history WHERE rv > ? ORDER BY rv')
      .all(compactedRv) as { rv: number; resource: string; type: EventType; object: string }[];
    for (const r of rows) {
      const object = JSON.parse(r.object) as KubeObject;
      const k = `${r.resource}\u0000${objectKey(object)}`;
      const e: StoreEvent = { rv: r.rv, type: r.type, resource: r.resource, object };
      if (r.type === 'MODIFIED') {
        let before = latest.get(k);
        if (!before) {
          const text = prevOf.get(r.rv) as string | null | undefined;
          if (text) before = JSON.parse(text) as KubeObject;
        }
        if (before) e.prev = before;
      }
      if (r.type === 'DELETED') latest.delete(k);
      else latest.set(k, object);
      history.push(e);
    }
    // Only objects whose current version is not in the history are read and parsed here.
    const dataOf = this.db.prepare('SELECT data FROM objects WHERE resource = ? AND key = ?').pluck();
    const objects: StoreSnapshot['objects'] = [];
    for (const r of this.db.prepare('SELECT resource, key, rv FROM objects').all() as { resource: string; key: string; rv: number }[]) {
      const cached = latest.get(`${r.resource}\u0000${r.key}`);
      const object = cached && cached.metadata.resourceVersion === String(r.rv) ? cached : (JSON.parse(dataOf.get(r.resource, r.key) as string) as KubeObject);
      objects.push({ resource: r.resource, object });
    }
    return { rv, compactedRv, objects, history };
  }

  /** Changes of one resource read back for a watch or a continue token older than the memory ring. */
  historyBetween(resource: string, afterRv: number, upToRv: number): StoreEvent[] {
    const rows = this.readHistory.all(afterRv, upToRv, resource) as { rv: number; type: EventType; object: string; prev: string | null }[];
    return rows.map((r) => {
      const e: StoreEvent = { rv: r.rv, type: r.type, resource, object: JSON.parse(r.object) as KubeObject };
      if (r.type === 'MODIFIED' && r.prev !== null) e.prev = JSON.parse(r.prev) as KubeObject;
      return e;
    });
  }

  commit(events: readonly StoreEvent[]): void {
    try {
      this.commitTx(events);
    } catch (err) {
      throw StoreWriteError.from(this.o.file, err);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

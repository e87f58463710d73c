// Failures of the durable store. A write it cannot make durable is answered to the client as a
// Kubernetes Status (507 when the disk is full, 500 otherwise) naming the file and the fix; the
// agent and its pods carry on, and the write can simply be retried once there is room.
import { ApiError } from '../status.js';

/** SQLite result codes that mean "no room": the disk (or its quota) is full. */
const FULL_CODES = new Set(['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE']);

function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : '';
}

export class StoreWriteError extends ApiError {
  constructor(
    readonly file: string,
    readonly sqlite: string,
    cause: string,
  ) {
    const full = FULL_CODES.has(sqlite);
    super(
      full ? 507 : 500,
      full ? 'InsufficientStorage' : 'InternalError',
      full
        ? `the API store ${file} cannot save this change: the disk is full (${sqlite}); ` +
            `free space on the file system that holds it (or move --root-dir to a larger one) and retry; ` +
            `the static pods keep running meanwhile`
        : `the API store ${file} cannot save this change: ${cause} (${sqlite || 'error'}); ` +
            `check the file system that holds it; the static pods keep running meanwhile`,
    );
    this.name = 'StoreWriteError';
  }

  static from(file: string, err: unknown): StoreWriteError {
    return new StoreWriteError(file, sqliteCode(err), (err as Error)?.message ?? String(err));
  }
}

/** The store file is in use by another process (another agent on the same --root-dir). */
export class StoreLockedError extends Error {
  constructor(readonly file: string) {
    super(
      `the API store ${file} is locked by another process: is another berth agent running with the same --root-dir? ` +
        `stop it, or give this agent its own --root-dir`,
    );
    this.name = 'StoreLockedError';
  }
}

/** Why a store file cannot be used as it is (it is then set aside and the store rebuilt). */
export class StoreUnusableError extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file}: ${why}`);
    this.name = 'StoreUnusableError';
  }
}

export function isBusy(err: unknown): boolean {
  const c = sqliteCode(err);
  return c === 'SQLITE_BUSY' || c.startsWith('SQLITE_BUSY_') || c === 'SQLITE_LOCKED';
}

export function isCorrupt(err: unknown): boolean {
  const c = sqliteCode(err);
  return c === 'SQLITE_NOTADB' || c === 'SQLITE_CORRUPT' || c.startsWith('SQLITE_CORRUPT_') || c === 'SQLITE_IOERR_SHORT_READ';
}

// The manifest directory source (`--pod-manifest-path` / staticPodPath).
//
// Behaviour follows upstream pkg/kubelet/config/file.go + file_linux.go (list `[^.]*` sorted, no
// recursion, inotify + periodic relist, a missing path is an empty set, broken watch retried with
// backoff 1s..20s), and deliberately goes further:
//  - editor/package leftovers (`*.bak`, `*~`, `*.dpkg-old`, ...) are skipped (see ignore.ts);
//  - a file caught half-written is re-checked until it settles instead of being reported broken;
//  - a file that turns invalid keeps its last good pod (persisted, so this survives a restart);
//  - two files defining the same pod: the first in sorted order wins, the other gets a problem
//    naming both files (upstream: whichever happens to be processed last, silently).
//
// All work runs in one serialized loop; events only mark paths dirty. Relists stat every file and
// re-read only those whose (dev, ino, size, mtime, ctime) changed, so an idle directory costs a
// readdir and a stat per file every checkFrequencyMs.
import { promises as fsp, watch, type FSWatcher, type BigIntStats } from 'node:fs';
import { basename, dirname, join, normalize, sep } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { readJsonFile, writeFileAtomic } from '../state/index.js';
import {
  formatWarning,
  readPodManifestFile,
  podFullName,
  problemKey,
  type ManifestProblem,
  type ManifestWarning,
  type StaticIdentity,
} from '../manifest/index.js';
import type { PodSource, SourceSnapshot } from './types.js';
import { ignoredEntry, SIGNATURE_SUFFIX } from './ignore.js';
import { MAX_SIGNATURE_BYTES, type AuditSink, type ManifestFacts, type ManifestTrust } from '../trust/index.js';
import { stablePod } from './stable.js';

export interface FileSourceOptions {
  /** A directory of manifests or a single manifest file; need not exist yet. */
  path: string;
  nodeName: string;
  /** Relist period (upstream fileCheckFrequency, default 20 s). */
  checkFrequencyMs: number;
  /** Where `file-source.json` (the last good pod per file) is kept. */
  stateDir: string;
  logger: Logger;
  /** How long after an event the file is read; coalesces the events of one write. Default 5 ms. */
  debounceMs?: number;
  /** A file that fails to decode and was modified less than this ago may still be being written. Default 1000 ms. */
  settleMs?: number;
  /** How often such a file is re-checked. Default 250 ms. */
  recheckMs?: number;
  /** Owner/mode checks and signatures; without it every readable file is accepted (tests). */
  trust?: ManifestTrust;
  /** Receives one record per manifest accepted, changed, refused or removed. */
  audit?: AuditSink;
}

export const FILE_SOURCE_STATE = 'file-source.json';

const MANIFEST_LIKE = /\.(ya?ml|json)$/i;
const WATCH_BACKOFF_MIN_MS = 1000;
const WATCH_BACKOFF_MAX_MS = 20_000;

interface PersistedFileState {
  version: 1;
  nodeName: string;
  path: string;
  /** file path -> last good pod */
  pods: Record<string, Pod>;
}

interface FileEntry {
  /** Stat key of the content last settled (read and accepted or reported); undefined = read again. */
  key: string | undefined;
  /** The pod of the last content that decoded and validated (possibly from before a restart). */
  lastGood: Pod | undefined;
  /** Problems of the current content (empty when it is good). */
  problems: ManifestProblem[];
  /** Warnings about the current (good) content; logged once when it was read. */
  warnings?: ManifestWarning[];
  /** Stat key and time of the first failed read of content that may still be being written. */
  pendingKey?: string;
  pendingSince?: number;
  recheck?: NodeJS.Timeout;
  /** What the audit trail last said about this file: its action and content hash. */
  audited?: { action: 'good' | 'refused'; sha256: string; reason?: string };
}

type PathKind = 'dir' | 'file' | 'missing' | 'other';

interface WatchTarget {
  /** The directory handed to fs.watch. */
  dir: string;
  /** Only events for this entry name matter (single-file or missing path: we watch the parent). */
  only?: string;
  id: string;
}

type StatResult =
  | { kind: 'gone' }
  | { kind: 'stat'; stats: BigIntStats; key: string }
  /** A dangling symlink or an unreadable entry: read it to get the problem, never cache it. */
  | { kind: 'broken'; mtimeMs: number };

/** Manifest files read at the same time. */
const SYNC_PARALLEL = 64;
/** At most one save of the last good pods per this long (the first change is saved at once). */
const PERSIST_EVERY_MS = 1_000;
/** How often a long-running batch hands over the pods read so far. */
const PROGRESS_MS = 250;

export class FileSource implements PodSource {
  readonly kind = 'file' as const;

  private readonly path: string;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private readonly settleMs: number;
  private readonly recheckMs: number;
  private readonly statePath: string;

  private onSnapshot: ((s: SourceSnapshot) => void) | undefined;
  private stopped = false;
  /** file path -> state, for the files currently listed (plus persisted entries until the first relist). */
  private readonly entries = new Map<string, FileEntry>();
  private mode: PathKind | undefined;
  private listProblem: ManifestProblem | undefined;
  /** Names already logged as skipped (leftovers, subdirectories), so each is logged once. */
  private readonly loggedSkips = new Set<string>();

  private fullPending = false;
  private readonly dirty = new Set<string>();
  private kickTimer: NodeJS.Timeout | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private lastPersistAt = 0;
  private loopDone: Promise<void> | undefined;
  private relistTimer: NodeJS.Timeout | undefined;

  private watcher: FSWatcher | undefined;
  private watchTarget: WatchTarget | undefined;
  private watchEstablishedAt = 0;
  private watchBackoffMs = WATCH_BACKOFF_MIN_MS;
  private watchRetryTimer: NodeJS.Timeout | undefined;

  private lastEmitted: { pods: Pod[]; problemKeys: string[] } | undefined;
  private persistedPods = new Map<string, Pod>();
  private persistChain: Promise<void> = Promise.resolve();

  constructor(private readonly options: FileSourceOptions) {
    this.path = normalizePath(options.path);
    this.log = options.logger.child({ source: 'file', path: options.path });
    this.debounceMs = options.debounceMs ?? 2;
    this.settleMs = options.settleMs ?? 1000;
    this.recheckMs = options.recheckMs ?? 250;
    this.statePath = join(options.stateDir, FILE_SOURCE_STATE);
  }

  async start(onSnapshot: (snapshot: SourceSnapshot) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    await this.loadPersisted();
    this.fullPending = true;
    await this.runLoop();
    if (!this.lastEmitted) this.emit(true); // the first snapshot is always delivered
    if (this.stopped) return;
    this.relistTimer = setInterval(() => this.kick(true, undefined, 0), this.options.checkFrequencyMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.relistTimer);
    clearTimeout(this.kickTimer);
    clearTimeout(this.watchRetryTimer);
    for (const e of this.entries.values()) clearTimeout(e.recheck);
    this.closeWatch();
    await this.loopDone;
    if (this.persistTimer) {
      // A save still waiting for its turn is done now, so a stop loses nothing.
      clearTimeout(this.persistTimer);
      this.persistTimer = undefined;
      this.persistNow();
    }
    await this.persistChain;
  }

  // ---- scheduling -------------------------------------------------------------------------------

  /** Marks work and makes sure the loop runs within delayMs. */
  private kick(full: boolean, path: string | undefined, delayMs: number): void {
    if (this.stopped) return;
    if (full) this.fullPending = true;
    if (path !== undefined) this.dirty.add(path);
    if (this.loopDone) return; // the running loop picks the work up before it ends
    if (this.kickTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.kickTimer);
    }
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      void this.runLoop();
    }, delayMs);
  }

  private runLoop(): Promise<void> {
    if (this.loopDone) return this.loopDone;
    this.loopDone = (async () => {
      try {
        while (!this.stopped && (this.fullPending || this.dirty.size > 0)) {
          const full = this.fullPending;
          const paths = [...this.dirty];
          this.fullPending = false;
          this.dirty.clear();
          try {
            if (full) await this.syncAll();
            else await this.syncPaths(paths);
          } catch (err) {
            // Everything below is written not to throw; this is the last line of defence so that
            // one unexpected error does not stop the source for good.
            this.log.error('manifest directory sync failed; retrying at the next relist', { err });
          }
          if (!this.stopped) {
            this.emit(false);
            this.persist();
          }
        }
      } finally {
        this.loopDone = undefined;
      }
    })();
    return this.loopDone;
  }

  // ---- listing ----------------------------------------------------------------------------------

  private async syncAll(): Promise<void> {
    let kind: PathKind;
    let stats: BigIntStats | undefined;
    try {
      stats = await fsp.stat(this.path, { bigint: true });
      kind = stats.isDirectory() ? 'dir' : stats.isFile() ? 'file' : 'other';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        kind = 'missing';
      } else {
        this.setListProblem(`cannot read the manifest path: ${errText(err)}`, 'make the path readable by the agent');
        return; // keep what we had: an unreadable path is not an empty one
      }
    }
    if (kind !== this.mode) {
      this.log.debug('manifest path kind', { kind });
      // Said once each time the path goes missing, not at every relist.
      if (kind === 'missing') this.log.info(`the manifest path ${this.path} does not exist yet; waiting for it (a folder or a file created there is picked up at once)`);
    }
    this.mode = kind;
    this.ensureWatch(kind, stats);
    if (kind === 'dir' || kind === 'file') {
      const untrusted = await this.untrustedPath(kind, stats!);
      if (untrusted) {
        this.listProblem = { origin: untrusted.path, field: '', message: untrusted.message, fix: untrusted.fix, reason: 'FailedToParse' };
        return; // keep what we had: the pods started while the path was trusted keep running
      }
    }

    let listed: string[];
    if (kind === 'dir') {
      let names: string[];
      try {
        names = await fsp.readdir(this.path);
      } catch (err) {
        this.setListProblem(`cannot list the manifest directory: ${errText(err)}`, 'make the directory readable and listable by the agent');
        return;
      }
      names.sort();
      listed = [];
      const present = new Set(names);
      for (const name of this.loggedSkips) if (!present.has(name)) this.loggedSkips.delete(name);
      for (const name of names) if (this.acceptName(name)) listed.push(join(this.path, name));
    } else if (kind === 'file') {
      listed = [this.path];
    } else {
      if (kind === 'other') this.skipOnce(basename(this.path), 'the manifest path is neither a directory nor a regular file; ignoring it');
      listed = [];
    }
    this.listProblem = undefined;

    const keep = new Set(listed);
    for (const path of [...this.entries.keys()]) if (!keep.has(path)) this.dropEntry(path);
    await this.syncEach(listed);
  }

  /**
   * Reads files SYNC_PARALLEL at a time (2000 manifests dropped at once are 20 000 small fs calls:
   * one after another they took seconds). A batch that runs long (a 10 MB manifest being decoded)
   * hands over what it has every PROGRESS_MS, so one slow file does not hold back the others' pods;
   * never before the first snapshot, which must be complete.
   */
  private async syncEach(paths: readonly string[]): Promise<void> {
    let next = 0;
    const progress = this.lastEmitted
      ? setInterval(() => {
          if (!this.stopped) this.emit(false);
        }, PROGRESS_MS)
      : undefined;
    try {
      const lane = async () => {
        while (next < paths.length) await this.syncFile(paths[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(SYNC_PARALLEL, paths.length) }, lane));
    } finally {
      clearInterval(progress);
    }
  }

  private async syncPaths(paths: string[]): Promise<void> {
    const wanted = new Set<string>();
    for (let path of paths) {
      // A changed signature means its manifest must be checked again.
      if (path.endsWith(SIGNATURE_SUFFIX)) path = path.slice(0, -SIGNATURE_SUFFIX.length);
      if (this.mode === 'dir') {
        if (dirname(path) !== this.path) continue;
        if (!this.acceptName(basename(path))) continue;
      } else if (path !== this.path) {
        continue;
      }
      wanted.add(path);
    }
    await this.syncEach([...wanted]);
  }

  /** A manifest directory (or a single file's directory) that others could write is not trusted. */
  private async untrustedPath(kind: 'dir' | 'file', stats: BigIntStats): Promise<{ path: string; message: string; fix: string } | undefined> {
    const trust = this.options.trust;
    if (!trust) return undefined;
    const own = { uid: Number(stats.uid), mode: Number(stats.mode) };
    if (kind === 'dir') {
      const bad = trust.checkPath(this.path, own, 'manifest directory');
      return bad && { path: this.path, ...bad };
    }
    const parent = dirname(this.path);
    try {
      const st = await fsp.stat(parent);
      // A sticky directory (/tmp) lets others create files but not replace this one.
      const bad = st.mode & 0o1000 ? undefined : trust.checkPath(parent, st, "manifest file's directory");
      return bad && { path: parent, ...bad };
    } catch {
      return undefined;
    }
  }

  /** false for dot-files, signatures and leftovers (logged once). */
  private acceptName(name: string): boolean {
    const verdict = ignoredEntry(name);
    if (!verdict) return true;
    if (verdict.kind === 'leftover') {
      this.skipOnce(name, `ignoring ${verdict.what} in the manifest directory`);
    }
    return false;
  }

  private skipOnce(name: string, msg: string): void {
    if (this.loggedSkips.has(name)) return;
    this.loggedSkips.add(name);
    this.log.info(msg, { file: name });
  }

  private setListProblem(message: string, fix: string): void {
    this.listProblem = { origin: this.path, field: '', message, fix, reason: 'FailedToParse' };
  }

  // ---- one file ---------------------------------------------------------------------------------

  private async syncFile(path: string): Promise<void> {
    const before = await statEntry(path);
    if (before.kind === 'gone') {
      this.dropEntry(path);
      return;
    }
    // A subdirectory is not entered (upstream). One named like a manifest is most likely a mistake
    // (e.g. a bind mount of a missing file creates a directory), so that one becomes a problem
    // (readPodManifestFile says "is a directory"); any other is skipped with one log line.
    if (before.kind === 'stat' && !before.stats.isFile() && !(before.stats.isDirectory() && MANIFEST_LIKE.test(path))) {
      this.dropEntry(path);
      this.skipOnce(
        basename(path),
        before.stats.isDirectory()
          ? 'not entering a subdirectory of the manifest directory'
          : 'ignoring an entry of the manifest directory that is not a regular file',
      );
      return;
    }
    let entry = this.entries.get(path);
    const sigKey = this.options.trust?.signing ? await signatureKey(path) : '';
    const key = before.kind === 'stat' ? before.key + sigKey : undefined;
    if (entry && key !== undefined && entry.key === key) return; // unchanged since last read
    if (!entry) {
      entry = { key: undefined, lastGood: undefined, problems: [] };
      this.entries.set(path, entry);
    }

    const identity: StaticIdentity = { nodeName: this.options.nodeName, source: 'file', origin: path, seen: new Date() };
    let facts: ManifestFacts | undefined;
    const trust = this.options.trust;
    const result = await readPodManifestFile(
      path,
      identity,
      trust &&
        (async ({ stats, content }) => {
          const verdict = await trust.check(path, content, stats, () => readSignatureFile(path + SIGNATURE_SUFFIX));
          facts = verdict.facts;
          return verdict.refusal && { origin: path, field: '', ...verdict.refusal, reason: 'FailedToParse' };
        }),
    );
    if (this.stopped) return;
    const after = await statEntry(path);
    const afterKey = after.kind === 'stat' ? after.key + (this.options.trust?.signing ? await signatureKey(path) : '') : undefined;
    if (after.kind === 'gone') {
      this.dropEntry(path);
      return;
    }

    const now = Date.now();
    if (key !== afterKey && key !== undefined) {
      // Changed while we read it: whatever we got may be a mix. Read again shortly.
      this.scheduleRecheck(path, entry);
      return;
    }
    if (result.problems.length > 0 || result.pods.length > 1) {
      const mtimeMs = before.kind === 'stat' ? Number(before.stats.mtimeMs) : before.mtimeMs;
      const young = now - mtimeMs < this.settleMs;
      if (key !== undefined && young) {
        if (entry.pendingKey !== key) {
          entry.pendingKey = key;
          entry.pendingSince = now;
        }
        if (now - (entry.pendingSince ?? now) < this.settleMs) {
          // Probably still being written (editors and `cp` write in chunks): do not report yet and
          // keep the file's previous pod; look again soon.
          this.scheduleRecheck(path, entry);
          return;
        }
      }
      entry.problems =
        result.problems.length > 0
          ? result.problems
          : [{ origin: path, field: '', message: `holds ${result.pods.length} pods`, fix: 'put exactly one Pod in each manifest file', reason: 'FailedValidation' }];
      this.auditFile(path, entry, 'refused', facts, entry.problems[0]?.message);
    } else {
      entry.problems = [];
      const hadPod = entry.lastGood !== undefined;
      entry.lastGood = result.pods.length === 1 ? stablePod(entry.lastGood, result.pods[0]!) : undefined;
      this.auditFile(path, entry, hadPod ? 'changed' : 'accepted', facts);
      // Read only when the file changed, so each warning is logged once per version of the file.
      entry.warnings = result.warnings;
      for (const w of result.warnings) this.log.warn(formatWarning(w), { origin: w.origin, field: w.field });
    }
    entry.key = key;
    entry.pendingKey = undefined;
    entry.pendingSince = undefined;
  }

  private scheduleRecheck(path: string, entry: FileEntry): void {
    clearTimeout(entry.recheck);
    entry.recheck = setTimeout(() => {
      entry.recheck = undefined;
      this.kick(false, path, 0);
    }, this.recheckMs);
  }

  private dropEntry(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    clearTimeout(entry.recheck);
    this.entries.delete(path);
    if (entry.lastGood || entry.audited) this.options.audit?.({ action: 'removed', origin: path });
  }

  /** One audit record per decision about new content (the same content is not reported twice). */
  private auditFile(path: string, entry: FileEntry, action: 'accepted' | 'changed' | 'refused', facts: ManifestFacts | undefined, reason?: string): void {
    const audit = this.options.audit;
    if (!audit || !facts) return;
    const kind = action === 'refused' ? 'refused' : 'good';
    if (entry.audited?.action === kind && entry.audited.sha256 === facts.sha256 && entry.audited.reason === reason) return;
    // A file whose pod survived from before a restart is "accepted" the first time it is read.
    const said = entry.audited === undefined && action === 'changed' ? 'accepted' : action;
    entry.audited = { action: kind, sha256: facts.sha256, reason };
    audit({ action: said, origin: path, ...facts, ...(reason ? { reason } : {}) });
  }

  // ---- snapshot ---------------------------------------------------------------------------------

  private buildSnapshot(): SourceSnapshot & { origins: Map<string, string> } {
    const pods: Pod[] = [];
    const problems: ManifestProblem[] = [];
    const warnings: ManifestWarning[] = [];
    const origins = new Map<string, string>();
    const byName = new Map<string, string>();
    if (this.listProblem) problems.push(this.listProblem);
    const paths = [...this.entries.keys()].sort();
    for (const path of paths) {
      const entry = this.entries.get(path)!;
      problems.push(...entry.problems);
      const pod = entry.lastGood;
      if (!pod) continue;
      if (entry.problems.length === 0) warnings.push(...(entry.warnings ?? []));
      const fullName = podFullName(pod);
      const uid = pod.metadata?.uid ?? '';
      const nameOwner = byName.get(fullName);
      const uidOwner = origins.get(uid);
      if (nameOwner !== undefined || uidOwner !== undefined) {
        problems.push(
          nameOwner !== undefined
            ? {
                origin: path,
                field: 'metadata.name',
                message: `Duplicate value: pod "${fullName}" is already defined by ${nameOwner}`,
                fix: 'rename one of the pods or remove one of the files',
                reason: 'FailedValidation',
              }
            : {
                origin: path,
                field: 'metadata.uid',
                message: `Duplicate value: uid "${uid}" is already used by ${uidOwner}`,
                fix: 'give each manifest its own metadata.uid or remove metadata.uid',
                reason: 'FailedValidation',
              },
        );
        continue;
      }
      byName.set(fullName, path);
      origins.set(uid, path);
      pods.push(pod);
    }
    return { source: 'file', pods, problems, ...(warnings.length > 0 ? { warnings } : {}), origins };
  }

  private emit(force: boolean): void {
    const snap = this.buildSnapshot();
    const problemKeys = snap.problems.map(problemKey);
    const last = this.lastEmitted;
    if (!force && last && sameRefs(last.pods, snap.pods) && sameStrings(last.problemKeys, problemKeys)) return;
    this.lastEmitted = { pods: snap.pods, problemKeys };
    this.onSnapshot?.(snap);
  }

  // ---- persistence ------------------------------------------------------------------------------

  private async loadPersisted(): Promise<void> {
    const state = await readJsonFile<PersistedFileState>(this.statePath);
    if (!state || state.version !== 1 || state.nodeName !== this.options.nodeName || state.path !== this.path) return;
    if (typeof state.pods !== 'object' || state.pods === null) return;
    for (const [path, pod] of Object.entries(state.pods)) {
      if (!pod || typeof pod !== 'object' || !pod.metadata?.uid) continue;
      this.entries.set(path, { key: undefined, lastGood: pod, problems: [] });
      this.persistedPods.set(path, pod);
    }
  }

  /** Writes file-source.json when some file's last good pod changed. Writes are serialized. */
  /**
   * Saves the last good pods at once, or, within PERSIST_EVERY_MS of the last save, once that time
   * is up: 2000 files changing one after another were 2000 saves of every pod (seconds of JSON).
   */
  private persist(): void {
    if (this.persistTimer) return;
    const wait = this.lastPersistAt + PERSIST_EVERY_MS - Date.now();
    if (wait <= 0) return this.persistNow();
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      if (!this.stopped) this.persistNow();
    }, wait);
  }

  private persistNow(): void {
    this.lastPersistAt = Date.now();
    const current = new Map<string, Pod>();
    for (const [path, entry] of this.entries) if (entry.lastGood) current.set(path, entry.lastGood);
    let same = current.size === this.persistedPods.size;
    if (same) for (const [path, pod] of current) if (this.persistedPods.get(path) !== pod) same = false;
    if (same) return;
    this.persistedPods = current;
    const state: PersistedFileState = {
      version: 1,
      nodeName: this.options.nodeName,
      path: this.path,
      pods: Object.fromEntries(current),
    };
    const data = JSON.stringify(state);
    this.persistChain = this.persistChain
      .then(() => writeFileAtomic(this.statePath, data, 0o600))
      .catch((err: unknown) => {
        this.log.warn('cannot save the last good manifests; after a restart an invalid file will have no pod', {
          file: this.statePath,
          err,
        });
      });
  }

  // ---- watching ---------------------------------------------------------------------------------

  private ensureWatch(kind: PathKind, stats: BigIntStats | undefined): void {
    if (this.stopped || this.watchRetryTimer) return;
    let target: WatchTarget | undefined;
    if (kind === 'dir' && stats) {
      target = { dir: this.path, id: `dir:${stats.dev}:${stats.ino}` };
    } else {
      // A single file is usually replaced by rename, and a missing path may be created later:
      // both show up as events in the parent directory.
      target = { dir: dirname(this.path), only: basename(this.path), id: `parent:${dirname(this.path)}` };
    }
    if (this.watchTarget?.id === target.id && this.watcher) return;
    this.closeWatch();
    if (kind !== 'dir') {
      // fs.watch on a missing parent throws ENOENT; that is not a broken watch, just nothing to
      // watch yet: the periodic relist notices when the parent appears.
      try {
        this.openWatch(target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') this.watchFailed(err);
      }
      return;
    }
    try {
      this.openWatch(target);
    } catch (err) {
      this.watchFailed(err);
    }
  }

  private openWatch(target: WatchTarget): void {
    const watcher = watch(target.dir, { persistent: false }, (_event, filename) => {
      if (this.stopped) return;
      const name = filename === null ? null : filename.toString();
      if (target.only !== undefined) {
        if (name === null || name === target.only) this.kick(true, undefined, this.debounceMs);
        return;
      }
      if (name === null || name === '' || name === basename(this.path)) {
        // Unknown entry, or possibly the watched directory itself went away: relist everything.
        this.kick(true, undefined, this.debounceMs);
        if (name === null || name === '') return;
      }
      this.kick(false, join(this.path, name), this.debounceMs);
    });
    watcher.on('error', (err) => {
      if (this.watcher !== watcher) return;
      this.watchFailed(err);
    });
    this.watcher = watcher;
    this.watchTarget = target;
    this.watchEstablishedAt = Date.now();
  }

  private watchFailed(err: unknown): void {
    this.closeWatch();
    if (this.stopped) return;
    // A watch that worked for a while before breaking starts over at the shortest delay.
    if (this.watchEstablishedAt && Date.now() - this.watchEstablishedAt > WATCH_BACKOFF_MAX_MS) {
      this.watchBackoffMs = WATCH_BACKOFF_MIN_MS;
    }
    const delay = this.watchBackoffMs;
    this.watchBackoffMs = Math.min(this.watchBackoffMs * 2, WATCH_BACKOFF_MAX_MS);
    this.log.warn('watching the manifest path failed; relisting every check period until the watch is back', {
      err,
      retryInMs: delay,
    });
    clearTimeout(this.watchRetryTimer);
    this.watchRetryTimer = setTimeout(() => {
      this.watchRetryTimer = undefined;
      this.watchEstablishedAt = 0;
      this.kick(true, undefined, 0); // the relist re-establishes the watch
    }, delay);
  }

  private closeWatch(): void {
    const w = this.watcher;
    this.watcher = undefined;
    this.watchTarget = undefined;
    if (w) {
      try {
        w.close();
      } catch {
        /* already closed */
      }
    }
  }
}

/** Stat key of a manifest's signature file ('' when it has none), so a new signature re-reads the manifest. */
async function signatureKey(path: string): Promise<string> {
  try {
    const st = await fsp.stat(path + SIGNATURE_SUFFIX, { bigint: true });
    return `|sig:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return '|sig:none';
  }
}

/** The text of a detached signature, undefined when there is none. Bounded: a signature is small. */
async function readSignatureFile(path: string): Promise<string | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(MAX_SIGNATURE_BYTES + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > MAX_SIGNATURE_BYTES) throw new Error(`is larger than ${MAX_SIGNATURE_BYTES} bytes, so it is not a signature`);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function statEntry(path: string): Promise<StatResult> {
  try {
    const stats = await fsp.stat(path, { bigint: true });
    return { kind: 'stat', stats, key: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}` };
  } catch (err) {
    try {
      const l = await fsp.lstat(path);
      return { kind: 'broken', mtimeMs: l.mtimeMs };
    } catch {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'gone' } : { kind: 'broken', mtimeMs: 0 };
    }
  }
}

/** `a//b/` -> `a/b`, so that dirname(join(path, name)) === path for every entry. */
function normalizePath(path: string): string {
  const n = normalize(path);
  return n.length > 1 && n.endsWith(sep) ? n.slice(0, -1) : n;
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String(e?.message ?? err);
}

function sameRefs<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return sameRefs(a, b);
}

// The merge of the sources' pod sets into one desired set (upstream pkg/kubelet/config/config.go).
//
// Each source sends its whole current set; per source we keep UID -> pod and compute what was
// added, removed and updated. A changed manifest has a new UID, so it arrives as one removal plus
// one addition in the same update; the worker layer makes the new pod wait for the old one to stop.
// A pod whose full name is already run by another source is not added (the first one keeps
// running) and becomes a problem naming both manifests.
//
// This is also the one place where manifest problems are logged: once when a problem appears and
// once when it goes away, never on every relist.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { formatProblem, podFullName, problemKey, type ManifestProblem } from '../manifest/index.js';
import type { SourceKind, SourceSnapshot } from '../sources/types.js';
import { stablePod } from '../sources/index.js';

export interface PodUpdate {
  added: Pod[];
  removed: Pod[];
  updated: Pod[];
}

export interface PodConfigOptions {
  logger: Logger;
  onUpdate: (update: PodUpdate) => void;
}

interface SourceState {
  pods: Pod[];
  problems: ManifestProblem[];
  origins: ReadonlyMap<string, string> | undefined;
}

interface Accepted {
  pod: Pod;
  source: SourceKind;
  origin: string;
}

export class PodConfig {
  private readonly log: Logger;
  private readonly sources = new Map<SourceKind, SourceState>();
  /** The desired set: UID -> accepted pod, in acceptance order. */
  private desired = new Map<string, Accepted>();
  /** For each source and full name, when the source first claimed it: the earliest claim wins. */
  private readonly claims = new Map<string, number>();
  private claimSeq = 0;
  private conflicts: ManifestProblem[] = [];
  private currentProblems: ManifestProblem[] = [];
  private readonly problemListeners: Array<(problems: ManifestProblem[]) => void> = [];

  constructor(private readonly options: PodConfigOptions) {
    this.log = options.logger;
  }

  apply(snapshot: SourceSnapshot): void {
    this.sources.set(snapshot.source, {
      pods: snapshot.pods,
      problems: snapshot.problems,
      origins: snapshot.origins,
    });
    this.updateClaims(snapshot);

    const previous = this.desired;
    const next = new Map<string, Accepted>();
    const conflicts: ManifestProblem[] = [];
    const byName = new Map<string, Accepted>();

    // Candidates in claim order, so that whoever claimed a full name first keeps it.
    const candidates: Array<{ pod: Pod; source: SourceKind; origin: string; order: number; index: number }> = [];
    let index = 0;
    for (const [source, state] of this.sources) {
      for (const pod of state.pods) {
        const uid = pod.metadata?.uid ?? '';
        const origin = state.origins?.get(uid) ?? `the ${source} source`;
        candidates.push({ pod, source, origin, order: this.claims.get(claimId(source, podFullName(pod))) ?? 0, index: index++ });
      }
    }
    candidates.sort((a, b) => a.order - b.order || a.index - b.index);

    for (const c of candidates) {
      const uid = c.pod.metadata?.uid ?? '';
      const fullName = podFullName(c.pod);
      const holder = byName.get(fullName);
      const uidHolder = next.get(uid);
      if (holder || uidHolder) {
        const other = (holder ?? uidHolder)!;
        conflicts.push({
          origin: c.origin,
          field: holder ? 'metadata.name' : 'metadata.uid',
          message: holder
            ? `Duplicate value: pod "${fullName}" is already defined by ${other.origin}`
            : `Duplicate value: uid "${uid}" is already used by ${other.origin}`,
          fix:
            other.source === c.source
              ? 'rename one of the pods or remove one of them'
              : `rename one of the pods or remove it from one of the sources (${other.source} and ${c.source})`,
          reason: 'FailedValidation',
        });
        continue;
      }
      const old = previous.get(uid);
      // Same UID: keep the old object when only config.seen differs (no spurious update), else the
      // new one with the old config.seen (upstream keeps the first-seen time across updates).
      const pod = old ? stablePod(old.pod, c.pod) : c.pod;
      const accepted: Accepted = { pod, source: c.source, origin: c.origin };
      next.set(uid, accepted);
      byName.set(fullName, accepted);
    }

    const update: PodUpdate = { added: [], removed: [], updated: [] };
    for (const [uid, old] of previous) {
      if (!next.has(uid)) update.removed.push(old.pod);
    }
    for (const [uid, now] of next) {
      const old = previous.get(uid);
      if (!old) update.added.push(now.pod);
      else if (old.pod !== now.pod) update.updated.push(now.pod);
    }

    this.desired = next;
    this.conflicts = conflicts;
    this.refreshProblems();

    if (update.added.length + update.removed.length + update.updated.length === 0) return;
    for (const pod of update.removed) this.logPod('removing static pod', pod, previous.get(pod.metadata?.uid ?? ''));
    for (const pod of update.added) this.logPod('adding static pod', pod, next.get(pod.metadata?.uid ?? ''));
    for (const pod of update.updated) this.logPod('updating static pod', pod, next.get(pod.metadata?.uid ?? ''));
    this.options.onUpdate(update);
  }

  /** The current desired set, all sources. */
  pods(): Pod[] {
    return [...this.desired.values()].map((a) => a.pod);
  }

  /** Current problems of all sources plus conflicts between them. */
  problems(): ManifestProblem[] {
    return [...this.currentProblems];
  }

  /** Called with the full list whenever the set of problems changes. */
  problemsChanged(listener: (problems: ManifestProblem[]) => void): void {
    this.problemListeners.push(listener);
  }

  private updateClaims(snapshot: SourceSnapshot): void {
    const names = new Set(snapshot.pods.map(podFullName));
    const prefix = `${snapshot.source}\u0000`;
    for (const id of [...this.claims.keys()]) {
      if (id.startsWith(prefix) && !names.has(id.slice(prefix.length))) this.claims.delete(id);
    }
    for (const name of names) {
      const id = claimId(snapshot.source, name);
      if (!this.claims.has(id)) this.claims.set(id, ++this.claimSeq);
    }
  }

  private refreshProblems(): void {
    const all: ManifestProblem[] = [];
    const seen = new Set<string>();
    for (const state of this.sources.values()) {
      for (const p of state.problems) {
        const key = problemKey(p);
        if (!seen.has(key)) {
          seen.add(key);
          all.push(p);
        }
      }
    }
    for (const p of this.conflicts) {
      const key = problemKey(p);
      if (!seen.has(key)) {
        seen.add(key);
        all.push(p);
      }
    }

    const before = new Map(this.currentProblems.map((p) => [problemKey(p), p]));
    let changed = before.size !== seen.size;
    for (const p of all) {
      if (!before.has(problemKey(p))) {
        changed = true;
        this.log.warn(formatProblem(p), { origin: p.origin, field: p.field, reason: p.reason });
      }
    }
    for (const [key, p] of before) {
      if (!seen.has(key)) {
        changed = true;
        this.log.info('manifest problem resolved', { origin: p.origin, field: p.field, problem: p.message });
      }
    }
    this.currentProblems = all;
    if (!changed) return;
    for (const listener of this.problemListeners) listener(this.problems());
  }

  private logPod(msg: string, pod: Pod, accepted: Accepted | undefined): void {
    this.log.info(msg, {
      pod: podFullName(pod),
      uid: pod.metadata?.uid,
      source: accepted?.source,
      origin: accepted?.origin,
    });
  }
}

function claimId(source: SourceKind, fullName: string): string {
  return `${source}\u0000${fullName}`;
}

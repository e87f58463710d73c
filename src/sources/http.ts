// The URL source (`--manifest-url`, `--manifest-url-header`, `--http-check-frequency`).
//
// Behaviour follows upstream pkg/kubelet/config/http.go: GET every check period with the given
// headers, 10 s timeout, 10 MB body limit, a Pod or a PodList, a body with any bad item rejected
// whole, a byte-identical body skipped, an empty body = no pods, and on any failure the last good
// set stays. Berth goes further: every failure is a ManifestProblem (so it reaches the log once,
// events and metrics), and the last good body is persisted so that a restart while the URL is
// down still runs the last good pods.
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { readJsonFile, writeFileAtomic } from '../state/index.js';
import {
  decodePodListManifestOffThread,
  formatWarning,
  MAX_MANIFEST_BYTES,
  problemKey,
  type ManifestProblem,
  type StaticIdentity,
} from '../manifest/index.js';
import type { PodSource, SourceSnapshot } from './types.js';
import { FetchError, getLimited, type TlsOptions } from './fetch.js';
import { MAX_SIGNATURE_BYTES, type AuditSink, type ManifestTrust } from '../trust/index.js';
import { stablePods } from './stable.js';

export interface HttpSourceOptions {
  url: string;
  /** Request headers, as parsed from `--manifest-url-header` (see parseManifestUrlHeader). */
  headers: Record<string, string[]>;
  nodeName: string;
  /** Poll period (upstream httpCheckFrequency, default 20 s). */
  checkFrequencyMs: number;
  /** Where `http-source.json` (the last good body) is kept. */
  stateDir: string;
  logger: Logger;
  /** Whole-request deadline. Default 10000 ms (upstream). */
  timeoutMs?: number;
  /** Body size limit. Default MAX_MANIFEST_BYTES (10 MiB). */
  maxBytes?: number;
  /** --manifest-url-ca / -cert / -key. */
  tls?: TlsOptions;
  /** Signature checks (`<url>.sig`); without it every body is accepted. */
  trust?: ManifestTrust;
  /** Receives one record per body accepted, changed, refused or emptied. */
  audit?: AuditSink;
}

export const HTTP_SOURCE_STATE = 'http-source.json';

interface PersistedHttpState {
  version: 1;
  url: string;
  body: string;
}

export class HttpSource implements PodSource {
  readonly kind = 'http' as const;

  private readonly log: Logger;
  private readonly statePath: string;
  private onSnapshot: ((s: SourceSnapshot) => void) | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly abort = new AbortController();

  private lastGoodBody: Buffer | undefined;
  private lastGoodPods: Pod[] = [];
  /** The last body that failed to decode, and its problems: the same bad body is not decoded again. */
  private lastBad: { body: Buffer; problems: ManifestProblem[] } | undefined;
  private lastEmitted: { pods: Pod[]; problemKeys: string[] } | undefined;
  private persistChain: Promise<void> = Promise.resolve();
  /** sha256 and reason of the last body the audit trail reported as refused (said once each). */
  private lastRefused: string | undefined;

  constructor(private readonly options: HttpSourceOptions) {
    this.log = options.logger.child({ source: 'http', url: options.url });
    this.statePath = join(options.stateDir, HTTP_SOURCE_STATE);
  }

  async start(onSnapshot: (snapshot: SourceSnapshot) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    await this.loadPersisted();
    await this.pollOnce(true);
    this.scheduleNext();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.inFlight;
    await this.persistChain;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pollOnce(false).then(() => this.scheduleNext());
    }, this.options.checkFrequencyMs);
  }

  private pollOnce(first: boolean): Promise<void> {
    const run = async (): Promise<void> => {
      const problems = await this.fetchAndDecode();
      if (this.stopped) return;
      this.emit(problems, first);
    };
    this.inFlight = run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** One poll: updates the last good set when the URL answers a good body; returns the current problems. */
  private async fetchAndDecode(): Promise<ManifestProblem[]> {
    const { url } = this.options;
    let body: Buffer;
    try {
      const res = await getLimited(url, {
        headers: this.options.headers,
        tls: this.options.tls,
        timeoutMs: this.options.timeoutMs ?? 10_000,
        maxBytes: this.options.maxBytes ?? MAX_MANIFEST_BYTES,
        signal: this.abort.signal,
      });
      if (res.status !== 200) {
        return [
          this.transportProblem(
            `GET returned HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
            'make the URL answer 200 with a Pod or PodList manifest; the last good pods keep running meanwhile',
          ),
        ];
      }
      body = res.body;
    } catch (err) {
      const e = err instanceof FetchError ? err : new FetchError('network', `GET failed: ${String(err)}`);
      return [this.transportProblem(e.message, fixFor(e))];
    }

    if (this.lastGoodBody && body.equals(this.lastGoodBody)) return [];
    // The signature is checked again for every new body (a new .sig may make a refused body good).
    let facts: { sha256: string; size: number; signer?: string } | undefined;
    if (this.options.trust) {
      const verdict = await this.options.trust.check(url, body, undefined, () => this.fetchSignature());
      facts = verdict.facts;
      if (verdict.refusal) {
        const problem: ManifestProblem = { origin: url, field: '', ...verdict.refusal, reason: 'FailedToParse' };
        this.auditRefused(facts, problem.message);
        return [problem];
      }
    }
    if (this.lastBad && body.equals(this.lastBad.body)) return this.lastBad.problems;

    const identity: StaticIdentity = { nodeName: this.options.nodeName, source: 'http', origin: url, seen: new Date() };
    const result = await decodePodListManifestOffThread(body, identity);
    if (result.problems.length > 0) {
      this.lastBad = { body, problems: result.problems };
      if (facts) this.auditRefused(facts, result.problems[0]!.message);
      return result.problems;
    }
    this.lastBad = undefined;
    const hadPods = this.lastGoodPods.length > 0;
    // A byte-identical body is not decoded again, so each warning is logged once per body.
    for (const w of result.warnings) this.log.warn(formatWarning(w), { origin: w.origin, field: w.field });
    this.lastGoodBody = body;
    this.lastGoodPods = stablePods(this.lastGoodPods, result.pods);
    this.lastRefused = undefined;
    if (facts) {
      const action = result.pods.length === 0 ? (hadPods ? 'removed' : undefined) : hadPods ? 'changed' : 'accepted';
      if (action) this.options.audit?.({ action, origin: url, ...facts });
    }
    this.persist(body);
    return [];
  }

  private auditRefused(facts: { sha256: string; size: number; signer?: string }, reason: string): void {
    if (this.lastRefused === `${facts.sha256} ${reason}`) return;
    this.lastRefused = `${facts.sha256} ${reason}`;
    this.options.audit?.({ action: 'refused', origin: this.options.url, ...facts, reason });
  }

  /** GET `<url>.sig` with the same headers and TLS settings; undefined when the server has none (404). */
  private async fetchSignature(): Promise<string | undefined> {
    const res = await getLimited(`${this.options.url}.sig`, {
      headers: this.options.headers,
      tls: this.options.tls,
      timeoutMs: this.options.timeoutMs ?? 10_000,
      maxBytes: MAX_SIGNATURE_BYTES,
      signal: this.abort.signal,
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET returned HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    return res.body.toString('utf8');
  }

  private transportProblem(message: string, fix: string): ManifestProblem {
    return { origin: this.options.url, field: '', message, fix, reason: 'FailedToParse' };
  }

  private emit(problems: ManifestProblem[], force: boolean): void {
    const pods = this.lastGoodPods;
    const problemKeys = problems.map(problemKey);
    const last = this.lastEmitted;
    if (!force && last && last.pods === pods && sameStrings(last.problemKeys, problemKeys)) return;
    this.lastEmitted = { pods, problemKeys };
    const origins = new Map<string, string>();
    for (const p of pods) if (p.metadata?.uid) origins.set(p.metadata.uid, this.options.url);
    this.onSnapshot?.({ source: 'http', pods: [...pods], problems, origins });
  }

  private async loadPersisted(): Promise<void> {
    const state = await readJsonFile<PersistedHttpState>(this.statePath);
    if (!state || state.version !== 1 || state.url !== this.options.url || typeof state.body !== 'string') return;
    const body = Buffer.from(state.body, 'utf8');
    const identity: StaticIdentity = {
      nodeName: this.options.nodeName,
      source: 'http',
      origin: this.options.url,
      seen: new Date(),
    };
    const result = await decodePodListManifestOffThread(body, identity);
    if (result.problems.length > 0) {
      // Saved by an older version with other validation rules, or edited by hand: not usable.
      this.log.warn('ignoring the saved last good manifest from the URL: it no longer validates', {
        file: this.statePath,
      });
      return;
    }
    this.lastGoodBody = body;
    this.lastGoodPods = result.pods;
    this.log.debug('loaded the last good manifest from the URL', { pods: result.pods.length });
  }

  private persist(body: Buffer): void {
    const state: PersistedHttpState = { version: 1, url: this.options.url, body: body.toString('utf8') };
    const data = JSON.stringify(state);
    this.persistChain = this.persistChain
      .then(() => writeFileAtomic(this.statePath, data, 0o600))
      .catch((err: unknown) => {
        this.log.warn('cannot save the last good manifest from the URL; a restart while the URL is down will start no pods', {
          file: this.statePath,
          err,
        });
      });
  }
}

function fixFor(err: FetchError): string {
  switch (err.kind) {
    case 'timeout':
      return 'make the server answer faster or check the network; the last good pods keep running meanwhile';
    case 'too-large':
      return `serve a manifest smaller than ${MAX_MANIFEST_BYTES / (1024 * 1024)} MiB`;
    case 'redirects':
      return 'point --manifest-url at the final address instead of a redirect chain';
    case 'bad-url':
      return 'set --manifest-url to an http:// or https:// URL';
    case 'tls':
      return "give the CA that signed the server's certificate with --manifest-url-ca FILE (or fix the certificate's name or dates); the last good pods keep running meanwhile";
    default:
      return 'check the URL, DNS, the network and that the server is up; the last good pods keep running meanwhile';
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

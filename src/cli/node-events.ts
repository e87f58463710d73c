// Where the agent's pod and node events go: the log, the in-memory ring the node API serves at
// /events (so `berth events` works without any API server), and the mirror's Event recorder when
// there is an API server to post them to.
import type { Pod } from 'kubernetes-types/core/v1';
import { EventRing, type EventType } from '../events/index.js';
import type { Logger } from '../log/index.js';
import { formatProblem, problemKey, type ManifestProblem } from '../manifest/index.js';
import type { Mirror } from '../mirror/index.js';
import type { PodEventSink } from '../workers/index.js';

export class NodeEvents implements PodEventSink {
  readonly recent: EventRing;
  /** Set once the mirror exists (remote mode or the embedded API); events before that are only kept here. */
  mirror: Mirror | undefined;
  /** The manifest problems already told, so that a relist does not repeat them. */
  private readonly announced = new Set<string>();

  constructor(
    nodeName: string,
    private readonly log: Logger,
  ) {
    this.recent = new EventRing({ nodeName });
    // The mirror posts its own Starting, NodeReady and manifest-problem events to the API server;
    // the ring gets them here so that `berth events` shows them without any API server too.
    this.recent.nodeEvent('Normal', 'Starting', 'Starting berth.');
  }

  /** A Warning in the ring for each manifest problem when it first appears. */
  manifestProblems(problems: ManifestProblem[]): void {
    const current = new Set<string>();
    for (const p of problems) {
      const key = problemKey(p);
      current.add(key);
      if (!this.announced.has(key)) this.recent.nodeEvent('Warning', p.reason, formatProblem(p));
    }
    this.announced.clear();
    for (const key of current) this.announced.add(key);
  }

  podEvent(pod: Pod, type: EventType, reason: string, message: string, container?: string): void {
    if (type === 'Warning') this.log.warn(message, { event: reason, pod: pod.metadata?.name, container });
    else this.log.debug(message, { event: reason, pod: pod.metadata?.name, container });
    this.recent.podEvent(pod, type, reason, message, container);
    this.mirror?.podEvent(pod, type, reason, message, container);
  }

  /** A node event; the caller has logged what it is about. */
  nodeEvent(type: EventType, reason: string, message: string): void {
    this.recent.nodeEvent(type, reason, message);
    this.mirror?.nodeEvent(type, reason, message);
  }
}

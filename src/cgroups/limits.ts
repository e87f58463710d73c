// What a container's `resources` ask of its cgroup, in the units the kernel takes, converted as the
// kubelet converts them (pkg/kubelet/cm: MilliCPUToShares, MilliCPUToQuota, cpu.weight from shares).
import type { Container } from 'kubernetes-types/core/v1';

/** The CFS period the kubelet uses (100 ms). */
export const CPU_PERIOD_US = 100_000;
/** The kernel refuses quotas under 1 ms. */
const MIN_QUOTA_US = 1000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;

export interface CgroupLimits {
  /** resources.limits.memory, bytes. */
  memoryBytes?: number;
  /** resources.limits.cpu as a CFS quota per CPU_PERIOD_US. */
  cpuQuotaUs?: number;
  /** resources.requests.cpu (or limits.cpu when no request is given) as v1 cpu.shares. */
  cpuShares?: number;
}

/** The limits of one container; empty when it asks for nothing (then no limit file is written). */
export function containerLimits(container: Container): CgroupLimits {
  const limits: CgroupLimits = {};
  const memory = quantity(container.resources?.limits?.memory);
  if (memory !== undefined && memory > 0) limits.memoryBytes = Math.ceil(memory);
  const cpuLimit = quantity(container.resources?.limits?.cpu);
  if (cpuLimit !== undefined && cpuLimit > 0) {
    limits.cpuQuotaUs = Math.max(MIN_QUOTA_US, Math.ceil(cpuLimit * 1000) * (CPU_PERIOD_US / 1000));
  }
  // As the API server defaults it: a container that only sets a limit requests that much.
  const cpuRequest = quantity(container.resources?.requests?.cpu) ?? cpuLimit;
  if (cpuRequest !== undefined && cpuRequest > 0) {
    const milli = Math.ceil(cpuRequest * 1000);
    limits.cpuShares = Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milli * 1024) / 1000)));
  }
  return limits;
}

export function hasLimits(limits: CgroupLimits): boolean {
  return limits.memoryBytes !== undefined || limits.cpuQuotaUs !== undefined || limits.cpuShares !== undefined;
}

/** cgroup v2 cpu.weight (1-10000) for v1 shares (2-262144), the mapping runc and the kubelet use. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - MIN_SHARES) * 9999) / (MAX_SHARES - MIN_SHARES));
}

// The manifest was validated before it reached a runtime, so only the forms a valid quantity can
// take are handled here: a number with an optional decimal-SI, binary-SI or exponent suffix.
const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;
const FACTOR: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

function quantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const m = QUANTITY.exec(value);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  const factor = suffix === '' ? 1 : /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : FACTOR[suffix]!;
  return Number(m[1]) * factor;
}

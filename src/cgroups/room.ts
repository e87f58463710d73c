// Why the kernel may refuse a new cgroup although the path and permissions are right: cgroup v1's
// memory controller gives each cgroup an ID out of 65 535, and cgroups removed while they still
// hold charged pages keep theirs until the pages are freed. Agents killed with their pods running
// (tests, crashes) leave pod cgroups behind, and once the IDs run out every mkdir fails with a
// bare errno (ENOSPC, EBUSY, or ENOENT from a recursive mkdir) that says nothing of the cause.

/** cgroup v1's memory cgroup ID space (MEM_CGROUP_ID_MAX). */
export const CGROUP_ID_LIMIT = 65_535;
/** Counts this close to the limit are reported as the likely cause. */
const NEAR = 64;

/**
 * From the text of /proc/cgroups: a sentence naming the controller that has (nearly) run out of
 * cgroups and how to clean up under `base`, or '' when every count is well below the limit.
 */
export function cgroupRoomHint(procCgroups: string, base: string): string {
  for (const line of procCgroups.split('\n')) {
    const [name, , count] = line.trim().split(/\s+/);
    const n = Number(count);
    if (!name || name.startsWith('#') || !Number.isInteger(n) || n < CGROUP_ID_LIMIT - NEAR) continue;
    return (
      ` (the kernel has no room for another cgroup: its ${name} controller holds ${n} cgroups, counting removed ones not freed yet, and allows ${CGROUP_ID_LIMIT};` +
      ` remove the empty cgroups left by agents killed with pods running, e.g. find ${base} -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null)`
    );
  }
  return '';
}

// cgroups/: limits and usage of the process runtime's containers, on cgroup v1 and v2.
export { detectCgroups, describeSupport, createContainerCgroup, removeContainerCgroup, type CgroupSupport, type CgroupsOptions } from './cgroups.js';
export { readUsage, oomKills, oomFile, procsFiles, type ContainerCgroup, type CgroupUsage } from './files.js';
export { containerLimits, hasLimits, sharesToWeight, CPU_PERIOD_US, type CgroupLimits } from './limits.js';

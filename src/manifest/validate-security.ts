// Pod and container security contexts (upstream validatePodSpecSecurityContext and
// ValidateSecurityContext): ID ranges, seccomp, sysctls, procMount and the flag combinations
// that contradict each other.
import type { Checker } from './check.js';
import { inclusiveRange, MAX_ID } from './check.js';
import { msg } from './errors.js';
import { isUnset, type JsonObject } from './json.js';
import { sysctlName } from './names.js';
import { checkLocalDescendingPath } from './validate-paths.js';

const SECCOMP_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];
const APPARMOR_TYPES = ['Localhost', 'RuntimeDefault', 'Unconfined'];
const PROC_MOUNT_TYPES = ['Default', 'Unmasked'];
const FS_GROUP_CHANGE_POLICIES = ['OnRootMismatch', 'Always'];
const SUPPLEMENTAL_GROUPS_POLICIES = ['Merge', 'Strict'];

function id(c: Checker, obj: JsonObject, key: string, path: string, what: 'user' | 'group'): void {
  const v = c.int(obj, key, path);
  if (v !== undefined && (v < 0 || v > MAX_ID)) {
    c.add(path, msg.invalid(v, inclusiveRange(0, MAX_ID)), `set ${key} to a ${what} ID from 0 to ${MAX_ID} (0 is root)`);
  }
}

function seccomp(c: Checker, sc: JsonObject, path: string): void {
  const profile = c.object(sc, 'seccompProfile', `${path}.seccompProfile`);
  if (!profile) return;
  const pp = `${path}.seccompProfile`;
  const type = c.str(profile, 'type', `${pp}.type`);
  if (type === undefined || type === '') {
    c.add(`${pp}.type`, msg.required(), 'set seccompProfile.type to RuntimeDefault, Unconfined or Localhost');
  } else if (!SECCOMP_TYPES.includes(type)) {
    c.add(`${pp}.type`, msg.unsupported(type, SECCOMP_TYPES), 'set seccompProfile.type to RuntimeDefault, Unconfined or Localhost');
  }
  const local = c.str(profile, 'localhostProfile', `${pp}.localhostProfile`);
  if (type === 'Localhost') {
    if (local === undefined || local === '') c.add(`${pp}.localhostProfile`, msg.required('must be set when seccomp type is Localhost'), 'set localhostProfile to the profile file, relative to the seccomp profile root');
    else checkLocalDescendingPath(c, local, `${pp}.localhostProfile`);
  } else if (local !== undefined && local !== '') {
    c.add(`${pp}.localhostProfile`, msg.invalid(local, 'can only be set when seccomp type is Localhost'), 'remove localhostProfile or set type: Localhost');
  }
}

function appArmor(c: Checker, sc: JsonObject, path: string): void {
  const profile = c.object(sc, 'appArmorProfile', `${path}.appArmorProfile`);
  if (!profile) return;
  const pp = `${path}.appArmorProfile`;
  const type = c.str(profile, 'type', `${pp}.type`);
  if (type === undefined || type === '') c.add(`${pp}.type`, msg.required(), 'set appArmorProfile.type to RuntimeDefault, Unconfined or Localhost');
  else if (!APPARMOR_TYPES.includes(type)) c.add(`${pp}.type`, msg.unsupported(type, APPARMOR_TYPES), 'set appArmorProfile.type to RuntimeDefault, Unconfined or Localhost');
  const local = c.str(profile, 'localhostProfile', `${pp}.localhostProfile`);
  if (type === 'Localhost' && (local === undefined || local === '')) {
    c.add(`${pp}.localhostProfile`, msg.required('must be set when AppArmor type is Localhost'), 'set localhostProfile to the name of a loaded AppArmor profile');
  } else if (type !== 'Localhost' && local !== undefined && local !== '') {
    c.add(`${pp}.localhostProfile`, msg.invalid(local, 'can only be set when AppArmor type is Localhost'), 'remove localhostProfile or set type: Localhost');
  }
}

/** spec.securityContext; `spec` for the hostPID / hostNetwork interplay. */
export function checkPodSecurityContext(c: Checker, spec: JsonObject): void {
  const sc = c.object(spec, 'securityContext', 'spec.securityContext');
  if (!sc) return;
  const path = 'spec.securityContext';
  id(c, sc, 'runAsUser', `${path}.runAsUser`, 'user');
  id(c, sc, 'runAsGroup', `${path}.runAsGroup`, 'group');
  id(c, sc, 'fsGroup', `${path}.fsGroup`, 'group');
  c.bool(sc, 'runAsNonRoot', `${path}.runAsNonRoot`);
  const groups = sc.supplementalGroups;
  if (Array.isArray(groups)) {
    groups.forEach((g, i) => {
      const gp = `${path}.supplementalGroups[${i}]`;
      if (typeof g !== 'number' || !Number.isInteger(g)) c.add(gp, msg.invalid(g, 'must be an integer'), 'write each supplemental group as a numeric group ID');
      else if (g < 0 || g > MAX_ID) c.add(gp, msg.invalid(g, inclusiveRange(0, MAX_ID)), `use a group ID from 0 to ${MAX_ID}`);
    });
  } else if (!isUnset(groups)) {
    c.add(`${path}.supplementalGroups`, msg.invalid(groups, 'must be a list'), 'write supplementalGroups as a list of group IDs');
  }
  c.oneOf(sc, 'supplementalGroupsPolicy', `${path}.supplementalGroupsPolicy`, SUPPLEMENTAL_GROUPS_POLICIES);
  c.oneOf(sc, 'fsGroupChangePolicy', `${path}.fsGroupChangePolicy`, FS_GROUP_CHANGE_POLICIES);
  if (sc.shareProcessNamespace === true && spec.hostPID === true) {
    c.add(`${path}.shareProcessNamespace`, msg.invalid(true, 'ShareProcessNamespace and HostPID cannot both be enabled'), 'set only one of shareProcessNamespace and hostPID');
  }
  const seen = new Set<string>();
  for (const [s, i] of c.objects(sc, 'sysctls', `${path}.sysctls`)) {
    const sp = `${path}.sysctls[${i}].name`;
    const name = c.str(s, 'name', sp);
    if (name === undefined || name === '') {
      if (isUnset(s.name)) c.add(sp, msg.required(), 'give every sysctl a name, e.g. net.ipv4.ip_unprivileged_port_start');
      continue;
    }
    for (const e of sysctlName(name)) c.add(sp, msg.invalid(name, e), 'use a sysctl name such as net.ipv4.ip_unprivileged_port_start');
    if (seen.has(name)) c.add(sp, msg.duplicate(name), 'set each sysctl only once');
    seen.add(name);
    if (spec.hostNetwork === true && name.startsWith('net.')) {
      c.add(sp, msg.invalid(name, "may not be specified when 'hostNetwork' is true"), 'remove the net.* sysctl or turn off hostNetwork (the host network namespace is shared)');
    }
    c.str(s, 'value', `${path}.sysctls[${i}].value`);
  }
  seccomp(c, sc, path);
  appArmor(c, sc, path);
}

/** A container's securityContext. */
export function checkContainerSecurityContext(c: Checker, container: JsonObject, path: string): void {
  const sp = `${path}.securityContext`;
  const sc = c.object(container, 'securityContext', sp);
  if (!sc) return;
  id(c, sc, 'runAsUser', `${sp}.runAsUser`, 'user');
  id(c, sc, 'runAsGroup', `${sp}.runAsGroup`, 'group');
  const privileged = c.bool(sc, 'privileged', `${sp}.privileged`);
  const escalation = c.bool(sc, 'allowPrivilegeEscalation', `${sp}.allowPrivilegeEscalation`);
  c.bool(sc, 'readOnlyRootFilesystem', `${sp}.readOnlyRootFilesystem`);
  c.bool(sc, 'runAsNonRoot', `${sp}.runAsNonRoot`);
  c.oneOf(sc, 'procMount', `${sp}.procMount`, PROC_MOUNT_TYPES);
  const caps = c.object(sc, 'capabilities', `${sp}.capabilities`);
  const added = caps ? (c.stringList(caps, 'add', `${sp}.capabilities.add`) ?? []) : [];
  if (caps) c.stringList(caps, 'drop', `${sp}.capabilities.drop`);
  if (escalation === false && privileged === true) {
    c.add(sp, msg.invalid(sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'), 'remove one of allowPrivilegeEscalation: false and privileged: true');
  }
  if (escalation === false && added.includes('CAP_SYS_ADMIN')) {
    c.add(sp, msg.invalid(sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'), 'remove CAP_SYS_ADMIN from capabilities.add or allow privilege escalation');
  }
  seccomp(c, sc, sp);
  appArmor(c, sc, sp);
}

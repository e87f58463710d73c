// The defaults the API server would apply (k8s.io/kubernetes/pkg/apis/core/v1/defaults.go) for the
// fields Berth uses, so a static pod looks the same in Berth, in its mirror pod and upstream.
// Works on untrusted decoded objects: a field of the wrong type is left alone (validation reports
// it), never replaced and never a crash.
import { isObject, isUnset, type JsonObject } from './json.js';

function setDefault(obj: JsonObject, key: string, value: unknown): void {
  if (isUnset(obj[key])) obj[key] = value;
}

function objectItems(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

/** Always for `:latest` or an untagged image, IfNotPresent otherwise (as upstream SetDefaults_Container). */
export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  if (typeof image !== 'string' || image === '') return 'IfNotPresent';
  const at = image.indexOf('@');
  const hasDigest = at >= 0;
  const ref = hasDigest ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(':');
  const tag = colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : '';
  if (tag === '') return hasDigest ? 'IfNotPresent' : 'Always';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Upstream defaults a zero as well as an omitted probe timing (SetDefaults_Probe). */
function setDefaultOrZero(obj: JsonObject, key: string, value: number): void {
  if (isUnset(obj[key]) || obj[key] === 0) obj[key] = value;
}

function defaultHttpGet(handler: unknown): void {
  if (isObject(handler) && isObject(handler.httpGet)) {
    setDefault(handler.httpGet, 'path', '/');
    setDefault(handler.httpGet, 'scheme', 'HTTP');
  }
}

function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  setDefaultOrZero(probe, 'timeoutSeconds', 1);
  setDefaultOrZero(probe, 'periodSeconds', 10);
  setDefaultOrZero(probe, 'successThreshold', 1);
  setDefaultOrZero(probe, 'failureThreshold', 3);
  defaultHttpGet(probe);
}

function defaultFieldRef(source: unknown): void {
  if (isObject(source) && isObject(source.fieldRef)) setDefault(source.fieldRef, 'apiVersion', 'v1');
}

function defaultContainer(c: JsonObject): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  for (const port of objectItems(c.ports)) setDefault(port, 'protocol', 'TCP');
  for (const env of objectItems(c.env)) defaultFieldRef(env.valueFrom);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObject(c.lifecycle)) {
    defaultHttpGet(c.lifecycle.postStart);
    defaultHttpGet(c.lifecycle.preStop);
  }
}

/** With hostNetwork the process listens on the host: the host port is the container port. */
function defaultHostNetworkPorts(c: JsonObject): void {
  for (const port of objectItems(c.ports)) {
    if ((isUnset(port.hostPort) || port.hostPort === 0) && typeof port.containerPort === 'number') port.hostPort = port.containerPort;
  }
}

/** A volume with no source at all is an emptyDir (upstream SetDefaults_Volume). */
function defaultVolumeSource(v: JsonObject): void {
  if (Object.keys(v).every((k) => k === 'name' || v[k] === undefined || v[k] === null)) v.emptyDir = {};
}

/** Applies API-server defaults in place to a (cloned) decoded pod. */
export function applyApiDefaults(pod: JsonObject): void {
  const spec = pod.spec;
  if (isObject(spec)) {
    setDefault(spec, 'restartPolicy', 'Always');
    setDefault(spec, 'terminationGracePeriodSeconds', 30);
    // Negative is accepted with a warning (warnings.ts) and treated as 1, as upstream does.
    if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
    setDefault(spec, 'dnsPolicy', 'ClusterFirst');
    setDefault(spec, 'schedulerName', 'default-scheduler');
    if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
    for (const c of objectItems(spec.initContainers)) defaultContainer(c);
    for (const c of objectItems(spec.containers)) defaultContainer(c);
    if (spec.hostNetwork === true) {
      for (const c of objectItems(spec.initContainers)) defaultHostNetworkPorts(c);
      for (const c of objectItems(spec.containers)) defaultHostNetworkPorts(c);
    }
    for (const v of objectItems(spec.volumes)) {
      defaultVolumeSource(v);
      if (isObject(v.downwardAPI)) {
        setDefault(v.downwardAPI, 'defaultMode', 0o644);
        for (const item of objectItems(v.downwardAPI.items)) defaultFieldRef(item);
      }
    }
  }
  // The manifest's status means nothing for a pod that has not run yet; upstream starts it Pending.
  pod.status = { phase: 'Pending' };
}

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

function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  if (isObject(probe.httpGet)) {
    setDefault(probe.httpGet, 'path', '/');
    setDefault(probe.httpGet, 'scheme', 'HTTP');
  }
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
}

/** Applies API-server defaults in place to a (cloned) decoded pod. */
export function applyApiDefaults(pod: JsonObject): void {
  const spec = pod.spec;
  if (isObject(spec)) {
    setDefault(spec, 'restartPolicy', 'Always');
    setDefault(spec, 'terminationGracePeriodSeconds', 30);
    setDefault(spec, 'dnsPolicy', 'ClusterFirst');
    setDefault(spec, 'schedulerName', 'default-scheduler');
    if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) spec.enableServiceLinks = true;
    for (const c of objectItems(spec.initContainers)) defaultContainer(c);
    for (const c of objectItems(spec.containers)) defaultContainer(c);
    for (const v of objectItems(spec.volumes)) {
      if (isObject(v.downwardAPI)) {
        setDefault(v.downwardAPI, 'defaultMode', 0o644);
        for (const item of objectItems(v.downwardAPI.items)) defaultFieldRef(item);
      }
    }
  }
  // The manifest's status means nothing for a pod that has not run yet; upstream starts it Pending.
  pod.status = { phase: 'Pending' };
}

// The pod every container benchmark starts: busybox httpd on the host network, one port per pod,
// so "the pod runs" can be checked from outside with an HTTP GET. One YAML text serves berth (as
// a static pod manifest) and `podman kube play`.
import { stringify } from 'yaml';
import type { Pod } from 'kubernetes-types/core/v1';

export const HTTPD_IMAGE = 'berth.test/busybox:1';
export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.6';

export function httpdPod(name: string, port: number, image = HTTPD_IMAGE): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      hostNetwork: true,
      // busybox httpd is PID 1 without a SIGTERM handler, so it ignores SIGTERM: without this every
      // teardown would wait out the default 30 s grace period (teardown is not what is measured).
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'httpd', image, imagePullPolicy: 'IfNotPresent', command: ['httpd', '-f', '-p', String(port)] }],
    },
  };
}

export const httpdPodYaml = (name: string, port: number, image = HTTPD_IMAGE): string => stringify(httpdPod(name, port, image));

// What the process runtime (the default, no container engine) will do differently with a valid pod:
// it runs `command` + `args` on the host and never pulls or uses an image. `berth validate` prints
// these so that a manifest written for a container engine is not a surprise at run time.
import type { Pod } from 'kubernetes-types/core/v1';
import type { ManifestWarning } from './problem.js';

export function processRuntimeNotices(pod: Pod, origin: string): ManifestWarning[] {
  const out: ManifestWarning[] = [];
  const spec = pod.spec;
  if (!spec) return out;
  const lists = [
    ['initContainers', spec.initContainers ?? []],
    ['containers', spec.containers ?? []],
  ] as const;
  let images = 0;
  for (const [list, items] of lists) {
    items.forEach((c, i) => {
      if (c.image) images++;
      if (!c.command || c.command.length === 0) {
        out.push({
          origin,
          field: `spec.${list}[${i}].command`,
          message: `container "${c.name}" has no command: the process runtime cannot run it (it does not run the image's entrypoint)`,
          fix: 'set command (e.g. command: ["/usr/bin/my-server"]) or run berth with --container-runtime-endpoint for a container engine',
          severity: 'warning',
        });
      }
    });
  }
  if (images > 0) {
    out.push({
      origin,
      field: '',
      message: 'the process runtime does not use `image` (it runs command + args on the host); image is still required because Kubernetes requires it',
      fix: '',
      severity: 'note',
    });
  }
  return out;
}

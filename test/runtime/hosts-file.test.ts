// The kubelet-managed /etc/hosts: pod network, host network, hostAliases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { managedHostsContent, wantsManagedHosts, writeManagedHostsFile } from '../../src/runtime/hosts-file.js';
import { tempDir } from '../cleanup.js';

const pod = (spec: Partial<Pod['spec']>): Pod => ({ metadata: { name: 'web-node1' }, spec: { containers: [{ name: 'c' }], ...spec } });

test('pod network: localhost entries, the pod\'s name on its IP, then the hostAliases', () => {
  const text = managedHostsContent(pod({ hostAliases: [{ ip: '10.1.2.3', hostnames: ['db', 'db.local'] }] }), '10.244.0.7', '');
  assert.match(text, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
  assert.match(text, /^10\.244\.0\.7\tweb-node1$/m);
  assert.match(text, /\n# Entries added by HostAliases\.\n10\.1\.2\.3\tdb\tdb\.local\n$/);
});

test('host network: the node\'s own /etc/hosts, then the hostAliases', async (t) => {
  const dir = await tempDir(t, 'hosts');
  const nodeHosts = join(dir, 'node-hosts');
  await writeFile(nodeHosts, '127.0.0.1 localhost\n192.0.2.2 my-node1');
  const path = await writeManagedHostsFile(join(dir, 'pod'), pod({ hostNetwork: true, hostAliases: [{ ip: '10.9.9.9', hostnames: ['x'] }] }), '192.0.2.2', nodeHosts);
  assert.equal(
    await readFile(path, 'utf8'),
    '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n192.0.2.2 my-node1\n\n# Entries added by HostAliases.\n10.9.9.9\tx\n',
  );
});

test('a container that mounts its own /etc/hosts keeps it', () => {
  assert.equal(wantsManagedHosts({ name: 'c', volumeMounts: [{ name: 'h', mountPath: '/etc/hosts' }] }), false);
  assert.equal(wantsManagedHosts({ name: 'c' }), true);
});

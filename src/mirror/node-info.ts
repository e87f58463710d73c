// Facts about this machine for the Node object: capacity and nodeInfo, read once at start (they do
// not change while the agent runs, except the boot ID, which changes only with a reboot).
import { readFile, statfs } from 'node:fs/promises';
import { arch, cpus, release, totalmem } from 'node:os';

export interface NodeFacts {
  cpus: number;
  memoryKi: number;
  /** Size of the root filesystem; undefined when statfs failed. */
  ephemeralStorageKi: number | undefined;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  /** Kubernetes spelling: amd64, arm64, ... */
  architecture: string;
}

async function firstLine(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n')[0]!.trim();
  } catch {
    return '';
  }
}

async function osPrettyName(): Promise<string> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const text = await readFile(path, 'utf8');
      const m = /^PRETTY_NAME=(.*)$/m.exec(text);
      if (m) return m[1]!.trim().replace(/^["']|["']$/g, '');
    } catch {
      // try the next one
    }
  }
  return 'Linux';
}

export function kubeArch(a: string = arch()): string {
  if (a === 'x64') return 'amd64';
  if (a === 'ia32') return '386';
  return a; // arm64, arm, s390x, ppc64 (ppc64le is reported as ppc64 by Node)
}

export async function collectNodeFacts(): Promise<NodeFacts> {
  let ephemeralStorageKi: number | undefined;
  try {
    const s = await statfs('/');
    ephemeralStorageKi = Math.floor((s.blocks * s.bsize) / 1024);
  } catch {
    ephemeralStorageKi = undefined;
  }
  const [machineID, systemUUID, bootID, osImage] = await Promise.all([
    firstLine('/etc/machine-id'),
    firstLine('/sys/class/dmi/id/product_uuid'),
    firstLine('/proc/sys/kernel/random/boot_id'),
    osPrettyName(),
  ]);
  return {
    cpus: cpus().length || 1,
    memoryKi: Math.floor(totalmem() / 1024),
    ephemeralStorageKi,
    machineID,
    systemUUID,
    bootID,
    kernelVersion: release(),
    osImage,
    architecture: kubeArch(),
  };
}

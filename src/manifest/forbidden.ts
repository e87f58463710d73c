// The API-object references a static pod may not have. A static pod runs without API credentials
// and before (or without) an API server, so upstream refuses these; Berth says so up front instead
// of running the pod and having its mirror pod refused later (kubernetes#103587).

export interface ForbiddenReference {
  /** What is referenced, for "static pods may not reference <what>". */
  what: string;
  fix: string;
}

/** Volume sources that point at API objects, keyed by the volume source field. */
export const FORBIDDEN_VOLUME_SOURCES: Readonly<Record<string, ForbiddenReference>> = {
  secret: { what: 'secrets', fix: 'replace the secret volume with a hostPath volume holding the files' },
  configMap: { what: 'configmaps', fix: 'replace the configMap volume with a hostPath volume holding the files' },
  persistentVolumeClaim: {
    what: 'persistentvolumeclaims',
    fix: 'replace the persistentVolumeClaim volume with a hostPath or emptyDir volume',
  },
  csi: { what: 'CSI volumes', fix: 'replace the csi volume with a hostPath or emptyDir volume' },
  ephemeral: { what: 'ephemeral volume claims', fix: 'replace the ephemeral volume with an emptyDir volume' },
};

/** Projected volume sources that point at API objects. */
export const FORBIDDEN_PROJECTIONS: Readonly<Record<string, ForbiddenReference>> = {
  secret: { what: 'secrets', fix: 'remove the secret projection; put the files in a hostPath volume instead' },
  configMap: { what: 'configmaps', fix: 'remove the configMap projection; put the files in a hostPath volume instead' },
  serviceAccountToken: {
    what: 'serviceaccounttokens',
    fix: 'remove the serviceAccountToken projection; static pods run without API credentials',
  },
  clusterTrustBundle: {
    what: 'clustertrustbundles',
    fix: 'remove the clusterTrustBundle projection; put the certificates in a hostPath volume instead',
  },
};

/**
 * Every volume source field Kubernetes knows, in the order upstream validateVolumeSource checks
 * them, so "exactly one source" reports the same extra source upstream would.
 */
export const VOLUME_SOURCES: readonly string[] = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'flexVolume', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc',
  'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'storageos', 'configMap',
  'projected', 'scaleIO', 'csi', 'ephemeral', 'image', 'flocker',
];

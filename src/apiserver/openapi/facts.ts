// Facts about the Kubernetes types that the kubernetes-types declarations do not carry, written
// from upstream's Go types (the `patchStrategy`/`patchMergeKey` struct tags and the `+listType`,
// `+listMapKey`, `+mapType`, `+structType` markers, and which integers are int64). The OpenAPI
// documents carry them as x-kubernetes-* extensions; strategic merge patch and server-side apply
// read the same table, so kubectl's view of a list and the server's never disagree.
//
// Keys are definition names without the `io.k8s.` prefix, then the JSON field name.

export interface FieldFacts {
  /** x-kubernetes-list-type */
  list?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys (list: 'map') */
  keys?: string[];
  /** x-kubernetes-patch-strategy */
  strategy?: string;
  /** x-kubernetes-patch-merge-key */
  mergeKey?: string;
  /** x-kubernetes-map-type */
  map?: 'atomic' | 'granular';
  /** x-kubernetes-map-type on a struct-valued field */
  struct?: 'atomic' | 'granular';
}

export const FIELD_FACTS: Readonly<Record<string, FieldFacts>> = {
  'api.core.v1.PersistentVolumeSpec.accessModes': { list: 'atomic' },
  'api.core.v1.PersistentVolumeSpec.claimRef': { struct: 'granular' },
  'api.core.v1.PersistentVolumeSpec.mountOptions': { list: 'atomic' },
  'api.core.v1.PersistentVolumeClaimSpec.accessModes': { list: 'atomic' },
  'api.core.v1.PersistentVolumeClaimStatus.accessModes': { list: 'atomic' },
  'api.core.v1.PersistentVolumeClaimStatus.conditions': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.PersistentVolumeClaimStatus.allocatedResourceStatuses': { map: 'granular' },
  'api.core.v1.RBDVolumeSource.monitors': { list: 'atomic' },
  'api.core.v1.RBDPersistentVolumeSource.monitors': { list: 'atomic' },
  'api.core.v1.CephFSVolumeSource.monitors': { list: 'atomic' },
  'api.core.v1.CephFSPersistentVolumeSource.monitors': { list: 'atomic' },
  'api.core.v1.SecretVolumeSource.items': { list: 'atomic' },
  'api.core.v1.SecretProjection.items': { list: 'atomic' },
  'api.core.v1.ISCSIVolumeSource.portals': { list: 'atomic' },
  'api.core.v1.ISCSIPersistentVolumeSource.portals': { list: 'atomic' },
  'api.core.v1.FCVolumeSource.targetWWNs': { list: 'atomic' },
  'api.core.v1.FCVolumeSource.wwids': { list: 'atomic' },
  'api.core.v1.ConfigMapVolumeSource.items': { list: 'atomic' },
  'api.core.v1.ConfigMapProjection.items': { list: 'atomic' },
  'api.core.v1.ProjectedVolumeSource.sources': { list: 'atomic' },
  'api.core.v1.HTTPGetAction.httpHeaders': { list: 'atomic' },
  'api.core.v1.ExecAction.command': { list: 'atomic' },
  'api.core.v1.Capabilities.add': { list: 'atomic' },
  'api.core.v1.Capabilities.drop': { list: 'atomic' },
  'api.core.v1.ResourceRequirements.claims': { list: 'map', keys: ['name'] },
  'api.core.v1.Container.command': { list: 'atomic' },
  'api.core.v1.Container.args': { list: 'atomic' },
  'api.core.v1.Container.ports': { list: 'map', keys: ['containerPort', 'protocol'], strategy: 'merge', mergeKey: 'containerPort' },
  'api.core.v1.Container.envFrom': { list: 'atomic' },
  'api.core.v1.Container.env': { list: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' },
  'api.core.v1.Container.resizePolicy': { list: 'atomic' },
  'api.core.v1.Container.volumeMounts': { list: 'map', keys: ['mountPath'], strategy: 'merge', mergeKey: 'mountPath' },
  'api.core.v1.Container.volumeDevices': { list: 'map', keys: ['devicePath'], strategy: 'merge', mergeKey: 'devicePath' },
  'api.core.v1.ContainerStatus.volumeMounts': { list: 'map', keys: ['mountPath'], strategy: 'merge', mergeKey: 'mountPath' },
  'api.core.v1.NodeSelector.nodeSelectorTerms': { list: 'atomic' },
  'api.core.v1.NodeSelectorTerm.matchExpressions': { list: 'atomic' },
  'api.core.v1.NodeSelectorTerm.matchFields': { list: 'atomic' },
  'api.core.v1.NodeSelectorRequirement.values': { list: 'atomic' },
  'api.core.v1.TopologySelectorTerm.matchLabelExpressions': { list: 'atomic' },
  'api.core.v1.TopologySelectorLabelRequirement.values': { list: 'atomic' },
  'api.core.v1.PodAffinity.requiredDuringSchedulingIgnoredDuringExecution': { list: 'atomic' },
  'api.core.v1.PodAffinity.preferredDuringSchedulingIgnoredDuringExecution': { list: 'atomic' },
  'api.core.v1.PodAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution': { list: 'atomic' },
  'api.core.v1.PodAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution': { list: 'atomic' },
  'api.core.v1.PodAffinityTerm.namespaces': { list: 'atomic' },
  'api.core.v1.PodAffinityTerm.matchLabelKeys': { list: 'atomic' },
  'api.core.v1.PodAffinityTerm.mismatchLabelKeys': { list: 'atomic' },
  'api.core.v1.NodeAffinity.preferredDuringSchedulingIgnoredDuringExecution': { list: 'atomic' },
  'api.core.v1.PodSpec.volumes': { list: 'map', keys: ['name'], strategy: 'merge,retainKeys', mergeKey: 'name' },
  'api.core.v1.PodSpec.initContainers': { list: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' },
  'api.core.v1.PodSpec.containers': { list: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' },
  'api.core.v1.PodSpec.ephemeralContainers': { list: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' },
  'api.core.v1.PodSpec.nodeSelector': { map: 'atomic' },
  'api.core.v1.PodSpec.imagePullSecrets': { list: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' },
  'api.core.v1.PodSpec.tolerations': { list: 'atomic' },
  'api.core.v1.PodSpec.hostAliases': { list: 'map', keys: ['ip'], strategy: 'merge', mergeKey: 'ip' },
  'api.core.v1.PodSpec.readinessGates': { list: 'atomic' },
  'api.core.v1.PodSpec.topologySpreadConstraints': { list: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], strategy: 'merge', mergeKey: 'topologyKey' },
  'api.core.v1.PodSpec.schedulingGates': { list: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' },
  'api.core.v1.PodSpec.resourceClaims': { list: 'map', keys: ['name'], strategy: 'merge,retainKeys', mergeKey: 'name' },
  'api.core.v1.TopologySpreadConstraint.matchLabelKeys': { list: 'atomic' },
  'api.core.v1.HostAlias.hostnames': { list: 'atomic' },
  'api.core.v1.PodSecurityContext.supplementalGroups': { list: 'atomic' },
  'api.core.v1.PodSecurityContext.sysctls': { list: 'atomic' },
  'api.core.v1.PodDNSConfig.nameservers': { list: 'atomic' },
  'api.core.v1.PodDNSConfig.searches': { list: 'atomic' },
  'api.core.v1.PodDNSConfig.options': { list: 'atomic' },
  'api.core.v1.PodStatus.conditions': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.PodStatus.hostIPs': { list: 'atomic', strategy: 'merge', mergeKey: 'ip' },
  'api.core.v1.PodStatus.podIPs': { list: 'map', keys: ['ip'], strategy: 'merge', mergeKey: 'ip' },
  'api.core.v1.PodStatus.initContainerStatuses': { list: 'atomic' },
  'api.core.v1.PodStatus.containerStatuses': { list: 'atomic' },
  'api.core.v1.PodStatus.ephemeralContainerStatuses': { list: 'atomic' },
  'api.core.v1.PodStatus.resourceClaimStatuses': { list: 'map', keys: ['name'], strategy: 'merge,retainKeys', mergeKey: 'name' },
  'api.core.v1.ReplicationControllerSpec.selector': { map: 'atomic' },
  'api.core.v1.ReplicationControllerStatus.conditions': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.ServiceStatus.conditions': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.LoadBalancerStatus.ingress': { list: 'atomic' },
  'api.core.v1.LoadBalancerIngress.ports': { list: 'atomic' },
  'api.core.v1.ServiceSpec.ports': { list: 'map', keys: ['port', 'protocol'], strategy: 'merge', mergeKey: 'port' },
  'api.core.v1.ServiceSpec.selector': { map: 'atomic' },
  'api.core.v1.ServiceSpec.clusterIPs': { list: 'atomic' },
  'api.core.v1.ServiceSpec.externalIPs': { list: 'atomic' },
  'api.core.v1.ServiceSpec.loadBalancerSourceRanges': { list: 'atomic' },
  'api.core.v1.ServiceSpec.ipFamilies': { list: 'atomic' },
  'api.core.v1.ServiceAccount.secrets': { list: 'map', keys: ['name'], strategy: 'merge', mergeKey: 'name' },
  'api.core.v1.ServiceAccount.imagePullSecrets': { list: 'atomic' },
  'api.core.v1.Endpoints.subsets': { list: 'atomic' },
  'api.core.v1.EndpointSubset.addresses': { list: 'atomic' },
  'api.core.v1.EndpointSubset.notReadyAddresses': { list: 'atomic' },
  'api.core.v1.EndpointSubset.ports': { list: 'atomic' },
  'api.core.v1.NodeSpec.podCIDRs': { list: 'set', strategy: 'merge' },
  'api.core.v1.NodeSpec.taints': { list: 'atomic' },
  'api.core.v1.NodeStatus.conditions': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.NodeStatus.addresses': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.NodeStatus.images': { list: 'atomic' },
  'api.core.v1.NodeStatus.volumesInUse': { list: 'atomic' },
  'api.core.v1.NodeStatus.volumesAttached': { list: 'atomic' },
  'api.core.v1.NodeStatus.runtimeHandlers': { list: 'atomic' },
  'api.core.v1.ContainerImage.names': { list: 'atomic' },
  'api.core.v1.NamespaceSpec.finalizers': { list: 'atomic' },
  'api.core.v1.NamespaceStatus.conditions': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.LimitRangeSpec.limits': { list: 'atomic' },
  'api.core.v1.ResourceQuotaSpec.scopes': { list: 'atomic' },
  'api.core.v1.ScopeSelector.matchExpressions': { list: 'atomic' },
  'api.core.v1.ScopedResourceSelectorRequirement.values': { list: 'atomic' },
  'api.core.v1.ComponentStatus.conditions': { list: 'map', keys: ['type'], strategy: 'merge', mergeKey: 'type' },
  'api.core.v1.DownwardAPIVolumeSource.items': { list: 'atomic' },
  'api.core.v1.DownwardAPIProjection.items': { list: 'atomic' },
  'apimachinery.pkg.apis.meta.v1.ObjectMeta.finalizers': { list: 'set', strategy: 'merge' },
  'apimachinery.pkg.apis.meta.v1.ObjectMeta.ownerReferences': { list: 'map', keys: ['uid'], strategy: 'merge', mergeKey: 'uid' },
  'apimachinery.pkg.apis.meta.v1.ObjectMeta.managedFields': { list: 'atomic' },
  'apimachinery.pkg.apis.meta.v1.LabelSelector.matchExpressions': { list: 'atomic' },
  'apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement.values': { list: 'atomic' },
  'apimachinery.pkg.apis.meta.v1.StatusDetails.causes': { list: 'atomic' },
  'apimachinery.pkg.apis.meta.v1.APIResource.verbs': { list: 'atomic' },
};

/** Definitions whose objects are atomic as a whole (x-kubernetes-map-type: atomic on the type). */
export const ATOMIC_TYPES: ReadonlySet<string> = new Set([
  'apimachinery.pkg.apis.meta.v1.LabelSelector',
  'api.core.v1.LocalObjectReference',
  'api.core.v1.ObjectReference',
  'api.core.v1.TypedLocalObjectReference',
  'api.core.v1.NodeSelector',
  'api.core.v1.NodeSelectorTerm',
  'api.core.v1.TopologySelectorTerm',
]);

/** Integer fields that are int64 upstream (every other integer is int32). */
export const INT64_FIELDS: ReadonlySet<string> = new Set([
  'api.core.v1.ServiceAccountTokenProjection.expirationSeconds',
  'api.core.v1.SleepAction.seconds',
  'api.core.v1.Probe.terminationGracePeriodSeconds',
  'api.core.v1.Toleration.tolerationSeconds',
  'api.core.v1.PodSpec.terminationGracePeriodSeconds',
  'api.core.v1.PodSpec.activeDeadlineSeconds',
  'api.core.v1.PodSecurityContext.runAsUser',
  'api.core.v1.PodSecurityContext.runAsGroup',
  'api.core.v1.PodSecurityContext.supplementalGroups',
  'api.core.v1.PodSecurityContext.fsGroup',
  'api.core.v1.ReplicationControllerStatus.observedGeneration',
  'api.core.v1.ContainerImage.sizeBytes',
  'api.core.v1.SecurityContext.runAsUser',
  'api.core.v1.SecurityContext.runAsGroup',
  'apimachinery.pkg.apis.meta.v1.ObjectMeta.generation',
  'apimachinery.pkg.apis.meta.v1.ObjectMeta.deletionGracePeriodSeconds',
  'apimachinery.pkg.apis.meta.v1.DeleteOptions.gracePeriodSeconds',
  'apimachinery.pkg.apis.meta.v1.ListMeta.remainingItemCount',
  'apimachinery.pkg.apis.meta.v1.Condition.observedGeneration',
]);

/**
 * Types that accept more than one JSON type. OpenAPI v2 can only say `type: string` (with
 * `format: int-or-string` for IntOrString); v3 lists the alternatives as `oneOf`, as upstream does.
 */
export const V3_ONE_OF: Readonly<Record<string, readonly string[]>> = {
  'apimachinery.pkg.util.intstr.IntOrString': ['integer', 'string'],
  'apimachinery.pkg.api.resource.Quantity': ['string', 'number'],
};

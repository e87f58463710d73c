// The Docker runtime: pods as Docker Engine (or Podman compat API) containers over the Engine API.
export { DockerRuntime, DEFAULT_POD_INFRA_IMAGE, DEFAULT_VOLUMES_DIR, type DockerRuntimeOptions } from './runtime.js';
export { isDockerEndpoint, EngineClient, EngineError, EngineUnavailableError, socketPathOf, API_VERSION } from './client.js';
export { LABEL as DOCKER_LABELS, kubeletContainerName } from './labels.js';

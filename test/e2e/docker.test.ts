// Issue 4's story on the Docker Engine API: dockerd (scripts/docker-up.sh) and Podman's
// Docker-compatible service (scripts/podman-up.sh), the real ./bin/berth against each.
import { ENGINES, engineSkipReason, engineStory } from './engines.js';

for (const spec of [ENGINES.docker, ENGINES.podman]) engineStory(spec, await engineSkipReason(spec));

// Issue 4's story on containerd through the CRI: the real ./bin/berth with
// --container-runtime-endpoint=unix:///run/containerd/containerd.sock (scripts/containerd-up.sh).
import { ENGINES, engineSkipReason, engineStory } from './engines.js';

engineStory(ENGINES.containerd, await engineSkipReason(ENGINES.containerd));

// Issue 8's story on containerd: busybox in a pod network, port-forward through the sandbox's network
// namespace. Run under `flock /tmp/berth-engines.lock` (the engines are shared).
import { BUSYBOX, ENGINES, engineSkipReason, openEngine } from './engines.js';
import { streamingStory, WEB } from './streaming-story.js';

const spec = ENGINES.containerd;
streamingStory({
  title: 'containerd',
  flags: [`--container-runtime-endpoint=${spec.endpoint}`],
  image: BUSYBOX,
  webCommand: (port) => ['sh', '-c', `mkdir -p /www && echo web-page > /www/index.html && exec httpd -f -p ${port} -h /www`],
  port: async () => 8080,
  hostname: `${WEB}\n`,
  skip: await engineSkipReason(spec),
  purge: async (pods) => {
    const engine = openEngine(spec);
    try {
      await engine.purge(pods);
    } finally {
      engine.close();
    }
  },
});

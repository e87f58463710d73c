// Issue 8's story on the process runtime: host commands on the host network, so the web server
// binds a free port on 127.0.0.1 and /etc/hostname is the node's own.
import { readFileSync } from 'node:fs';
import { freePort } from './harness.js';
import { streamingStory } from './streaming-story.js';

streamingStory({
  title: 'process runtime',
  flags: [],
  image: 'busybox',
  webCommand: (port) => ['sh', '-c', `d=/tmp/berth-web-${port}; mkdir -p $d && echo web-page > $d/index.html && cd $d && exec python3 -m http.server ${port} --bind 127.0.0.1`],
  port: freePort,
  hostname: readFileSync('/etc/hostname', 'utf8'),
  skip: false,
});

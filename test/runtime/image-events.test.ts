// The kubelet's image and Created events from the engine runtimes, against real engines (no
// registry is reachable here, so a pull fails at once: the Failed path is real too).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from '../../src/runtime/image-events.js';
import { RuntimeError, type ContainerEvents } from '../../src/runtime/types.js';
import { BUSYBOX } from './cri-harness.js';
import { engineSuites, type EngineHarness } from './engine-suites.js';

test('durations are printed as Go prints them', () => {
  assert.equal(formatDuration(850), '850ms');
  assert.equal(formatDuration(1234), '1.234s');
  assert.equal(formatDuration(2000), '2s');
  assert.equal(formatDuration(123_500), '2m3.5s');
});


const suites = await engineSuites('ev');

for (const suite of suites) {
  describe(`image events on ${suite.name}`, { skip: suite.skip }, () => {
    let h: EngineHarness;
    before(async () => {
      h = await suite.make();
    });
    after(() => h?.cleanup());

    const recorder = () => {
      const seen: string[] = [];
      const events: ContainerEvents = (type, reason, message) => seen.push(`${type} ${reason} ${message}`);
      return { seen, events };
    };

    test('an image on the node: Pulled "already present", then Created', async () => {
      const { seen, events } = recorder();
      await h.start({ name: 'web', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '30'] }, {}, events);
      assert.deepEqual(seen, [`Normal Pulled Container image "${BUSYBOX}" already present on machine`, 'Normal Created Created container web']);
    });

    test('a pull that fails: Pulling, then Failed with the reason, and no Created', async () => {
      const { seen, events } = recorder();
      const image = 'registry.invalid/berth/none:1';
      await assert.rejects(h.start({ name: 'c', image, imagePullPolicy: 'Always', command: ['true'] }, {}, events), (err: unknown) => err instanceof RuntimeError && err.reason === 'ErrImagePull');
      assert.equal(seen[0], `Normal Pulling Pulling image "${image}"`);
      assert.match(seen[1] ?? '', new RegExp(`^Warning Failed Failed to pull image "${image.replace(/[./]/g, '\\$&')}": .+`));
      assert.equal(seen.length, 2);
    });

    test('pull policy Never with the image missing: ErrImageNeverPull', async () => {
      const { seen, events } = recorder();
      const image = 'berth.test/not-here:1';
      await assert.rejects(h.start({ name: 'c', image, imagePullPolicy: 'Never', command: ['true'] }, {}, events), (err: unknown) => err instanceof RuntimeError && err.reason === 'ErrImageNeverPull');
      assert.deepEqual(seen, [`Warning ErrImageNeverPull Container image "${image}" is not present with pull policy of Never`]);
    });
  });
}

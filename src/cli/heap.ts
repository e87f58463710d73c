// Applies the agent's heap setting (see src/heap) when this module is evaluated. bin/berth imports
// it on its own before it imports main.js: an ES module graph is parsed whole before its first
// module runs, and parsing the agent's modules is itself a burst of garbage that would grow the
// young generation. main.ts imports it too, for a start through dist/cli/main.js directly.
import { keepYoungGenerationSmall } from '../heap/index.js';

keepYoungGenerationSmall();

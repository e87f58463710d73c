// Applies the agent's heap setting (see src/heap) when this module is evaluated. main.ts imports
// it first, so it holds before the rest of the agent's modules load: loading them is itself a
// burst of garbage that would grow the young generation to its maximum.
import { keepYoungGenerationSmall } from '../heap/index.js';

keepYoungGenerationSmall();

// V8's gc() for tests, without --expose-gc on the test's command line: the flag is read when a
// context is created, so a new context made after setting it has gc() as a global.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc') as () => void;

// Path rules shared by volumes, mounts and profiles (upstream validatePathNoBacksteps,
// validateLocalDescendingPath, validateLocalNonReservedPath): a path from a manifest must not climb
// out of where it is meant to stay.
import type { Checker } from './check.js';
import { msg } from './errors.js';

export function checkNoBacksteps(c: Checker, path: string, field: string): void {
  if (path.split('/').includes('..')) c.add(field, msg.invalid(path, "must not contain '..'"), "write the path without '..' components");
}

/** A relative path that stays below its base. */
export function checkLocalDescendingPath(c: Checker, path: string, field: string): void {
  if (path.startsWith('/')) c.add(field, msg.invalid(path, 'must be a relative path'), 'remove the leading "/"');
  checkNoBacksteps(c, path, field);
}

/** As checkLocalDescendingPath, and not starting with '..' (reserved for the atomic writer). */
export function checkLocalNonReservedPath(c: Checker, path: string, field: string): void {
  checkLocalDescendingPath(c, path, field);
  if (path.startsWith('..')) c.add(field, msg.invalid(path, "must not start with '..'"), "rename the file so that it does not start with '..'");
}

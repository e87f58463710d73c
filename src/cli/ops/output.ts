// `-o json|yaml` as kubectl prints objects: one object as it is, several as a v1 List.
import { stringify } from 'yaml';
import { UsageError } from '../flags.js';

export type ObjectFormat = 'json' | 'yaml';

export function printObjects(format: ObjectFormat, objects: object[], single: boolean): string {
  const value = single && objects.length === 1 ? objects[0] : { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
  return format === 'json' ? JSON.stringify(value, null, 4) + '\n' : stringify(value);
}

/** Checks an -o value against what a command supports. */
export function outputFormat<T extends string>(value: string | undefined, allowed: readonly T[], command: string): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`unknown output format ${JSON.stringify(value)} for "berth ${command}": expected one of ${allowed.join(', ')}`);
}

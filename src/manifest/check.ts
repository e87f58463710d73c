// The shared toolkit of the validators: typed reads of untrusted decoded values that report a wrong
// type at the exact field path (as upstream's decoder would refuse it) and return the value when it
// is usable, so each rule can be written as one short check.
import { msg, ProblemList } from './errors.js';
import { isObject, type JsonObject } from './json.js';
import { parseQuantity, QUANTITY_REGEX_TEXT } from './quantity.js';

/** The range upstream uses for user and group IDs (IsValidUserID / IsValidGroupID). */
export const MAX_ID = 2147483647;

export function inclusiveRange(min: number, max: number): string {
  return `must be between ${min} and ${max}, inclusive`;
}

export class Checker {
  constructor(readonly p: ProblemList) {}

  add(field: string, message: string, fix: string): void {
    this.p.add(field, message, fix);
  }

  /** A string field; reports a wrong type and returns undefined for unset or wrong-typed values. */
  str(obj: JsonObject, key: string, path: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.add(path, msg.invalid(v, 'must be a string'), `put the ${key} value in quotes so that YAML reads it as a string`);
      return undefined;
    }
    return v;
  }

  /** An integer field; reports a wrong type only. */
  int(obj: JsonObject, key: string, path: string): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.add(path, msg.invalid(v, 'must be an integer'), `set ${key} to a whole number`);
      return undefined;
    }
    return v;
  }

  /** An integer that must be >= 0 (upstream ValidateNonnegativeField). */
  nonNegative(obj: JsonObject, key: string, path: string): number | undefined {
    const v = this.int(obj, key, path);
    if (v !== undefined && v < 0) this.add(path, msg.invalid(v, 'must be greater than or equal to 0'), `set ${key} to 0 or more`);
    return v;
  }

  /** An integer within [min, max] (upstream InclusiveRangeError wording). */
  range(obj: JsonObject, key: string, path: string, min: number, max: number): number | undefined {
    const v = this.int(obj, key, path);
    if (v !== undefined && (v < min || v > max)) this.add(path, msg.invalid(v, inclusiveRange(min, max)), `set ${key} to a number from ${min} to ${max}`);
    return v;
  }

  bool(obj: JsonObject, key: string, path: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.add(path, msg.invalid(v, 'must be a boolean'), `set ${key} to true or false`);
      return undefined;
    }
    return v;
  }

  /**
   * A string from a fixed set. `required`: an empty value is `Required value` (fields upstream
   * defaults and then requires); otherwise empty means "not set".
   */
  oneOf(obj: JsonObject, key: string, path: string, supported: readonly string[], required = false): string | undefined {
    const v = this.str(obj, key, path);
    if (v === undefined || v === '') {
      if (required && obj[key] !== undefined && obj[key] !== null) this.add(path, msg.required(), `set ${key} to one of ${supported.filter(Boolean).join(', ')}`);
      return v;
    }
    if (!supported.includes(v)) {
      this.add(path, msg.unsupported(v, supported), `set ${key} to one of ${supported.filter(Boolean).join(', ')}`);
      return undefined;
    }
    return v;
  }

  /** A list of strings; returns it (wrong-typed items reported and dropped). */
  stringList(obj: JsonObject, key: string, path: string): string[] | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.add(path, msg.invalid(v, 'must be a list of strings'), `write ${key} as a YAML list, e.g. ["sh", "-c", "..."]`);
      return undefined;
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string') {
        this.add(`${path}[${i}]`, msg.invalid(item, 'must be a string'), `quote ${key} item ${i} so that it is a string`);
      } else {
        out.push(item);
      }
    });
    return out;
  }

  /** A list of objects; reports a non-list and each non-object item, returns [item, index] pairs. */
  objects(obj: JsonObject, key: string, path: string): Array<[JsonObject, number]> {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.add(path, msg.invalid(v, 'must be a list'), `write ${key} as a YAML list of mappings ("- name: ...")`);
      return [];
    }
    const out: Array<[JsonObject, number]> = [];
    v.forEach((item, i) => {
      if (isObject(item)) out.push([item, i]);
      else this.add(`${path}[${i}]`, msg.invalid(item, 'must be an object'), `make each ${key} item a mapping`);
    });
    return out;
  }

  /** An optional nested object; reports a wrong type. */
  object(obj: JsonObject, key: string, path: string): JsonObject | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) {
      this.add(path, msg.invalid(v, 'must be an object'), `make ${key} a mapping`);
      return undefined;
    }
    return v;
  }

  /** A map of string to string (labels, nodeSelector); returns the string entries. */
  stringMap(obj: JsonObject, key: string, path: string): Array<[string, string]> {
    const m = this.object(obj, key, path);
    if (!m) return [];
    const out: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(m)) {
      if (v === null) out.push([k, '']);
      else if (typeof v !== 'string') this.add(path, msg.invalid(v, 'must be a string'), `quote the value of "${k}" under ${key}`);
      else out.push([k, v]);
    }
    return out;
  }

  /** A resource quantity (string or number); reports bad syntax and negatives, returns its value. */
  quantity(value: unknown, path: string, what: string): number | undefined {
    const q = parseQuantity(value);
    if (q === undefined) {
      this.add(path, msg.invalid(value, `quantities must match the regular expression '${QUANTITY_REGEX_TEXT}'`), `write ${what} as a quantity such as 500m, 2, 128Mi or 1Gi`);
      return undefined;
    }
    if (q < 0) {
      this.add(path, msg.invalid(value, 'must be greater than or equal to 0'), `make ${what} zero or positive`);
      return undefined;
    }
    return q;
  }
}

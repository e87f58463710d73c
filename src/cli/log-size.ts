// --container-log-max-size / containerLogMaxSize: a Kubernetes quantity ("10Mi", "500Ki", "1G").
import { parseQuantity } from '../manifest/index.js';

/** Bytes, or undefined when `text` is not a quantity greater than 0. */
export function parseLogSize(text: string): number | undefined {
  const value = parseQuantity(text);
  if (value === undefined || !Number.isFinite(value) || value < 1) return undefined;
  return Math.floor(value);
}

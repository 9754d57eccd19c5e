// Order statistics for benchmark samples: medians and percentiles by linear interpolation
// between closest ranks (as numpy's default), so a handful of rounds still gives stable numbers.

export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export function median(values) {
  return quantile(values, 0.5);
}

/** n, median, p10, p90, min, max and mean of a list of numbers. */
export function summarize(values) {
  const mean = values.reduce((sum, v) => sum + v, 0) / (values.length || 1);
  return {
    n: values.length,
    median: median(values),
    p10: quantile(values, 0.1),
    p90: quantile(values, 0.9),
    min: Math.min(...values),
    max: Math.max(...values),
    mean,
  };
}

/** Rotates `items` by `round` places: every item takes every position across rounds. */
export function rotate(items, round) {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

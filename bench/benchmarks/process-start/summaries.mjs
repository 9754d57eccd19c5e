// Shared by the parts of the benchmark: summaries of samples and the rows of their tables.
import { summarize } from '../../lib/stats.mjs';
import { fmtMs, fmtSpread } from '../../lib/table.mjs';

/** { metric: summary } for each metric, over the samples (objects with those fields). */
export function summarizeFields(samples, metrics) {
  return Object.fromEntries(metrics.map((metric) => [metric, summarize(samples.map((s) => s[metric]))]));
}

/** "median (p10–p90)" of a time summary, in ms. */
export const spreadMs = (summary) => fmtSpread(summary, fmtMs);

/**
 * A rate (items per second) from a time summary: the median time gives the median rate, the
 * slow end (p90) of the times the low end (p10) of the rates.
 */
export function rateSpread(summary, items) {
  const rate = (ms) => (items * 1000) / ms;
  const fmt = (value) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
  return `${fmt(rate(summary.median))} (${fmt(rate(summary.p90))}–${fmt(rate(summary.p10))})`;
}

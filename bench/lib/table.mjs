// Markdown rendering of benchmark results.

/** A GitHub-flavoured markdown table; `align` holds 'l' or 'r' per column (default: first l, rest r). */
export function markdownTable(headers, rows, align = headers.map((_, i) => (i === 0 ? 'l' : 'r'))) {
  const escape = (cell) => String(cell ?? '').replaceAll('|', '\\|');
  const line = (cells) => `| ${cells.map(escape).join(' | ')} |`;
  const rule = `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Milliseconds with precision that suits their size: 0.412, 3.41, 41.2, 412. */
export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return '-';
  const abs = Math.abs(ms);
  if (abs < 1) return ms.toFixed(3);
  if (abs < 10) return ms.toFixed(2);
  if (abs < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** "median (p10-p90)" of a summary from stats.summarize. */
export function fmtSpread(summary, fmt = fmtMs) {
  return `${fmt(summary.median)} (${fmt(summary.p10)}–${fmt(summary.p90)})`;
}

export function fmtMiB(bytes, { sign = false } = {}) {
  if (!Number.isFinite(bytes)) return '-';
  const mib = bytes / 1024 / 1024;
  return `${sign && mib >= 0 ? '+' : ''}${mib.toFixed(mib !== 0 && Math.abs(mib) < 10 ? 2 : 1)} MiB`;
}

export function fmtRatio(ratio) {
  if (!Number.isFinite(ratio)) return '-';
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`;
}

/**
 * The "Targets" table of a benchmark: each target ({ what, ratio, goalText, met: true | false | null
 * when not measured }) with its status, then information rows ({ what, ratio }).
 */
export function targetsTable(targets, info = []) {
  return markdownTable(
    ['comparison', 'ratio', 'target', 'status'],
    [
      ...targets.map((t) => [t.what, fmtRatio(t.ratio), t.goalText, t.met === null ? 'not measured' : t.met ? 'met' : '**missed**']),
      ...info.map((r) => [r.what, fmtRatio(r.ratio), '(information)', '']),
    ],
  );
}

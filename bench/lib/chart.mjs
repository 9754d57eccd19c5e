#!/usr/bin/env node
// Plain SVG bar charts from benchmark results, with no dependency: a chart is a list of panels,
// each a titled list of horizontal bars (label, value, optional highlight and goal line).
//
//   node lib/chart.mjs results/pool.json [results/pool.svg]
//
// redraws the chart of a results file whose JSON has a `chart` field ({ title, subtitle, panels });
// benchmarks that draw one (pool) also write it themselves after each run.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WIDTH = 860;
const LABEL_WIDTH = 330;
const VALUE_WIDTH = 110;
const BAR_HEIGHT = 18;
const BAR_GAP = 6;
const PANEL_GAP = 26;
const COLORS = { ours: '#2f6fb3', anchor: '#9aa5b1', python: '#d9a441' };

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** 1234567 -> "1.23M", 45678 -> "45.7k", 12.3 -> "12.3". */
export function compact(value) {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(abs >= 1e7 ? 1 : 2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`;
  if (abs >= 100) return value.toFixed(0);
  return value.toFixed(abs >= 10 ? 1 : 2);
}

/**
 * The SVG text of a chart. chart: { title, subtitle?, panels: [{ title, unit?, goal?: { value,
 * label }, bars: [{ label, value, kind?: 'ours' | 'anchor' | 'python', note? }] }] }.
 * Bars of a panel share its scale; missing values (NaN) are drawn as "-".
 */
export function renderChart(chart) {
  const out = [];
  let y = 34;
  out.push(`<text x="12" y="${y}" class="title">${escape(chart.title)}</text>`);
  if (chart.subtitle) {
    y += 20;
    out.push(`<text x="12" y="${y}" class="sub">${escape(chart.subtitle)}</text>`);
  }
  y += 18;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
  for (const panel of chart.panels) {
    y += 22;
    out.push(`<text x="12" y="${y}" class="panel">${escape(panel.title)}</text>`);
    y += 10;
    const values = panel.bars.map((b) => b.value).filter(Number.isFinite);
    const max = Math.max(...values, panel.goal?.value ?? 0, Number.MIN_VALUE);
    const top = y;
    for (const bar of panel.bars) {
      const width = Number.isFinite(bar.value) ? Math.max(1, (bar.value / max) * plotWidth) : 0;
      const color = COLORS[bar.kind ?? 'anchor'] ?? COLORS.anchor;
      out.push(`<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT - 5}" class="label" text-anchor="end">${escape(bar.label)}</text>`);
      out.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}" rx="2"/>`);
      const unit = !panel.unit ? '' : panel.unit === 'x' ? 'x' : ` ${panel.unit}`;
      const text = `${compact(bar.value)}${unit}${bar.note ? ` ${bar.note}` : ''}`;
      out.push(`<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 5}" class="value">${escape(text)}</text>`);
      y += BAR_HEIGHT + BAR_GAP;
    }
    if (panel.goal && Number.isFinite(panel.goal.value)) {
      const x = LABEL_WIDTH + (panel.goal.value / max) * plotWidth;
      out.push(`<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${y - BAR_GAP + 4}" class="goal"/>`);
      out.push(`<text x="${(x + 4).toFixed(1)}" y="${top + 2}" class="goaltext">${escape(panel.goal.label)}</text>`);
    }
    y += PANEL_GAP - BAR_GAP;
  }
  const legendY = y + 6;
  const legend = [
    ['ours', 'multiprocessing-ts'],
    ['anchor', 'other Node pools'],
    ['python', 'CPython 3.11 multiprocessing'],
  ];
  legend.forEach(([kind, text], i) => {
    const x = 12 + i * 230;
    out.push(`<rect x="${x}" y="${legendY}" width="14" height="14" fill="${COLORS[kind]}" rx="2"/>`);
    out.push(`<text x="${x + 20}" y="${legendY + 12}" class="label">${escape(text)}</text>`);
  });
  const height = legendY + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:18px;font-weight:bold;fill:#1f2328}.sub{font-size:12px;fill:#57606a}.panel{font-size:14px;font-weight:bold;fill:#1f2328}' +
      '.label{font-size:12px;fill:#1f2328}.value{font-size:12px;fill:#57606a}.goal{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:4 3}.goaltext{font-size:11px;fill:#cf222e}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes the chart of results JSON `jsonFile` to `svgFile` (default: the same name, .svg). */
export function chartFromResults(jsonFile, svgFile = jsonFile.replace(/\.json$/, '.svg')) {
  const results = JSON.parse(readFileSync(jsonFile, 'utf8'));
  if (!results.chart) throw new Error(`${jsonFile} has no chart field`);
  writeFileSync(svgFile, renderChart(results.chart));
  return svgFile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [jsonFile, svgFile] = process.argv.slice(2);
  if (!jsonFile) {
    console.error('usage: node lib/chart.mjs results/<name>.json [out.svg]');
    process.exit(2);
  }
  console.log(`wrote ${chartFromResults(jsonFile, svgFile)}`);
}

// A dependency-free SVG bar chart: one group per case, one bar per engine, each group scaled to its own max.

const COLORS = {
  'lepton-compute': '#2f6fdf', numpy: '#f2a33a', 'onnxruntime-node': '#58a55c',
  'tfjs-webgpu': '#e0603a', 'onnxruntime-webgpu': '#58a55c',
};
const FALLBACK = ['#8e6bbf', '#c9a227', '#3aa6a6', '#999999'];
/** The CPU bench's engines, in its legend order (the default, so its chart is unchanged). */
export const CPU_ENGINES = ['lepton-compute', 'numpy', 'onnxruntime-node'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * rows: [{ name, unit, values: { engine: number|undefined } }]; engines: which keys of values to draw,
 * in legend order (default: the CPU bench's three).
 */
export function barChartSvg(rows, title, engines = CPU_ENGINES) {
  const color = (e) => COLORS[e] ?? FALLBACK[engines.indexOf(e) % FALLBACK.length];
  const barH = 12, gap = 3, groupGap = 14, labelW = 290, barW = 420, valueW = 110;
  const groupH = engines.length * (barH + gap) + groupGap;
  const height = 60 + rows.length * groupH;
  const width = labelW + barW + valueW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  engines.forEach((e, i) => {
    parts.push(`<rect x="${labelW + i * 140}" y="30" width="10" height="10" fill="${color(e)}"/><text x="${labelW + 14 + i * 140}" y="39">${esc(e)}</text>`);
  });
  rows.forEach((row, r) => {
    const y0 = 55 + r * groupH;
    const max = Math.max(...engines.map((e) => row.values[e] ?? 0), 1e-9);
    parts.push(`<text x="10" y="${y0 + Math.min(2, engines.length - 1) * (barH + gap)}">${esc(row.name)}</text>`);
    engines.forEach((e, i) => {
      const v = row.values[e];
      const y = y0 + i * (barH + gap);
      if (v === undefined) {
        parts.push(`<text x="${labelW}" y="${y + barH - 2}" fill="#999">${esc(e)}: n/a</text>`);
        return;
      }
      const w = Math.max(1, (v / max) * barW);
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color(e)}"/>`);
      parts.push(`<text x="${labelW + w + 4}" y="${y + barH - 2}">${v.toFixed(1)} ${esc(row.unit)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * The endpoint timeline as a small SVG: ready endpoints per Service over time (a step line each), with the
 * engine's marks (backups done, a wave's Deployment rolled out, the console flip) as labelled verticals,
 * each label once, at its last time.
 * No dependencies: the file is written beside the test output and one run's copy is in docs/.
 */
import type { Timeline } from "./timeline";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export interface PlotOptions {
  /** The Services to draw, in legend order. */
  services: readonly string[];
  title: string;
  /** Only marks whose label matches are drawn. @default all */
  marks?: RegExp;
}

export function timelineSvg(tl: Timeline, options: PlotOptions): string {
  const width = 900;
  const left = 60;
  const right = 190;
  const top = 40;
  const plotHeight = 260;
  const bottom = 150;
  const height = top + plotHeight + bottom;
  const endMs = Math.max(1, tl.endedAt - tl.startedAt);
  const samples = tl.endpoints.filter((s) => options.services.includes(s.service));
  const maxReady = Math.max(1, ...samples.map((s) => s.ready));
  const x = (t: number) => left + ((width - left - right) * Math.min(t, endMs)) / endMs;
  const y = (n: number) => top + plotHeight - (plotHeight * n) / (maxReady + 0.5);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14">${escape(options.title)}</text>`,
    `<line x1="${left}" y1="${top + plotHeight}" x2="${width - right}" y2="${top + plotHeight}" stroke="#000"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#000"/>`,
    `<text x="14" y="${top + plotHeight / 2}" transform="rotate(-90 14 ${top + plotHeight / 2})" text-anchor="middle">ready endpoints</text>`,
  ];
  for (let n = 0; n <= maxReady; n++) {
    out.push(
      `<text x="${left - 6}" y="${y(n) + 4}" text-anchor="end">${n}</text>`,
      `<line x1="${left}" y1="${y(n)}" x2="${width - right}" y2="${y(n)}" stroke="#eee"/>`,
    );
  }
  const stepS = Math.max(1, Math.ceil(endMs / 1000 / 10));
  for (let s = 0; s * 1000 <= endMs; s += stepS) {
    out.push(`<text x="${x(s * 1000)}" y="${top + plotHeight + 14}" text-anchor="middle">${s} s</text>`);
  }
  // One line per label, at its last time (the last backup done is when all are).
  const lastOf = new Map(
    tl.marks.filter((m) => !options.marks || options.marks.test(m.label)).map((m) => [m.label, m]),
  );
  const marks = [...lastOf.values()].sort((a, b) => a.t - b.t);
  marks.forEach((m, i) => {
    const mx = x(m.t);
    out.push(
      `<line x1="${mx}" y1="${top}" x2="${mx}" y2="${top + plotHeight}" stroke="#999" stroke-dasharray="3,3"/>`,
      `<text x="${mx}" y="${top + plotHeight + 26 + (i % 8) * 14}" fill="#555">${escape(m.label)}</text>`,
    );
  });
  options.services.forEach((service, i) => {
    const color = PALETTE[i % PALETTE.length];
    const own = samples.filter((s) => s.service === service).sort((a, b) => a.t - b.t);
    if (own.length) {
      const points: string[] = [];
      let last = 0;
      for (const s of own) {
        points.push(`${x(s.t)},${y(last)}`, `${x(s.t)},${y(s.ready)}`);
        last = s.ready;
      }
      points.push(`${x(endMs)},${y(last)}`);
      // Offset each line a little so equal counts stay visible.
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" transform="translate(0 ${-i * 2})" points="${points.join(" ")}"/>`,
      );
    }
    out.push(
      `<rect x="${width - right + 12}" y="${top + i * 18}" width="12" height="3" fill="${color}"/>`,
      `<text x="${width - right + 30}" y="${top + i * 18 + 5}">${escape(service)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

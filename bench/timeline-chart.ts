/**
 * The outage timeline as a standalone SVG (no dependencies): one panel per
 * outage (full; partial, the hung segment's requests), each request's time
 * against when it was sent, one line per variant, on a logarithmic axis so
 * that a 20 ms answer and a 1.5 s wait fit together. The outage is shaded;
 * the hedge delay and a direct mirror fetch are marked.
 */
import { escapeXml as escape, svgDocument, svgHead, svgLegend } from './svg.ts';
import { ms } from './table.ts';
import type { OutageKind, TimelinePoint, TimelineReport, VariantId } from './timeline.ts';
import { VARIANTS } from './timeline.ts';

const WIDTH = 960;
const PANEL_HEIGHT = 260;
const LEFT = 70;
const RIGHT = 20;
const TOP = 84;
const GAP = 70;
const COLOURS: Record<VariantId, string> = { vcl: '#d4351c', hedge: '#f47738', memory: '#1d70b8' };
const PANELS: readonly { kind: OutageKind; title: string; include: (p: TimelinePoint) => boolean }[] = [
  { kind: 'full', title: 'full outage: origin hung for every request sent in the grey stretch', include: () => true },
  { kind: 'partial', title: 'partial outage: only /government hangs (its requests shown; the others stay at origin speed)', include: (p) => p.segment === '/government' },
];

export function timelineChartSvg(report: TimelineReport, title: string): string {
  const { plan } = report;
  const xMin = -plan.beforeMs;
  const xMax = plan.outageMs + plan.afterMs;
  const yLo = 10;
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(report.firstByteTimeoutMs * 1.5, ...report.runs.flatMap((r) => r.points.map((p) => p.totalMs)))));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (v: number): number => LEFT + ((v - xMin) / (xMax - xMin)) * plotWidth;
  const legendY = TOP + PANELS.length * (PANEL_HEIGHT + GAP) - GAP + 40;
  const height = legendY + VARIANTS.length * 18 + 40;

  const out: string[] = [];
  out.push(...svgHead(WIDTH, height, title, `time of each request (ms, logarithmic) by when it was sent; times scaled by 1/${report.scale}: hedge ${report.hedgeMs} ms, first-byte timeout ${report.firstByteTimeoutMs} ms`));
  PANELS.forEach((panel, pi) => {
    const top = TOP + pi * (PANEL_HEIGHT + GAP);
    const bottom = top + PANEL_HEIGHT;
    const y = (v: number): number => bottom - ((Math.log10(Math.max(v, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * PANEL_HEIGHT;
    out.push(`<text x="${LEFT}" y="${top - 10}" font-weight="bold">${escape(panel.title)}</text>`);
    out.push(`<rect x="${x(0).toFixed(1)}" y="${top}" width="${(x(plan.outageMs) - x(0)).toFixed(1)}" height="${PANEL_HEIGHT}" fill="#f3f2f1"/>`);
    for (let d = yLo; d <= yHi * 1.0001; d *= 10) {
      out.push(`<line x1="${LEFT}" y1="${y(d).toFixed(1)}" x2="${WIDTH - RIGHT}" y2="${y(d).toFixed(1)}" stroke="#dddddd"/>`);
      out.push(`<text x="${LEFT - 6}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end" fill="#505a5f">${d} ms</text>`);
    }
    for (let t = Math.ceil(xMin / 1000) * 1000; t <= xMax; t += 1000) {
      out.push(`<line x1="${x(t).toFixed(1)}" y1="${bottom}" x2="${x(t).toFixed(1)}" y2="${bottom + 4}" stroke="#505a5f"/>`);
      out.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#505a5f">${t / 1000} s</text>`);
    }
    out.push(`<line x1="${LEFT}" y1="${y(report.hedgeMs).toFixed(1)}" x2="${WIDTH - RIGHT}" y2="${y(report.hedgeMs).toFixed(1)}" stroke="#505a5f" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${WIDTH - RIGHT - 4}" y="${(y(report.hedgeMs) - 4).toFixed(1)}" text-anchor="end" fill="#505a5f">hedge delay</text>`);
    const mirror = report.runs.find((r) => r.kind === panel.kind)?.mirrorFetch.p50;
    if (mirror !== undefined && Number.isFinite(mirror)) {
      out.push(`<line x1="${LEFT}" y1="${y(mirror).toFixed(1)}" x2="${WIDTH - RIGHT}" y2="${y(mirror).toFixed(1)}" stroke="#00703c" stroke-dasharray="2 3"/>`);
      out.push(`<text x="${WIDTH - RIGHT - 4}" y="${(y(mirror) + 14).toFixed(1)}" text-anchor="end" fill="#00703c">a mirror fetch (${ms(mirror)} ms)</text>`);
    }
    out.push(`<text x="${(x(0) + 4).toFixed(1)}" y="${top + 14}" fill="#505a5f">origin hung</text>`);
    for (const variant of VARIANTS) {
      const run = report.runs.find((r) => r.kind === panel.kind && r.variant === variant.id);
      if (!run) continue;
      const points = run.points.filter(panel.include);
      const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.startMs).toFixed(1)},${y(p.totalMs).toFixed(1)}`).join(' ');
      out.push(`<path d="${path}" fill="none" stroke="${COLOURS[variant.id]}" stroke-width="1.5"><title>${escape(variant.title)}</title></path>`);
    }
  });
  out.push(...svgLegend(VARIANTS.map((v) => ({ label: v.title, colour: COLOURS[v.id] })), LEFT, legendY));
  return svgDocument(out);
}

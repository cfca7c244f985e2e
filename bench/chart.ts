/**
 * A bar chart of the per-scenario medians as a standalone SVG (no
 * dependencies): for each scenario, the service's time to first byte and
 * total time, the physical limit and the runtime floor. Horizontal bars on a
 * logarithmic axis, so that 2 ms and 5 s fit on one chart; each bar is
 * labelled with its value.
 */
import type { Report } from './report.ts';
import { escapeXml as escape, svgDocument, svgHead, svgLegend } from './svg.ts';
import { ms } from './table.ts';

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly colour: string;
}

const SERIES = [
  { key: 'serviceTtfb', label: 'service, time to first byte', colour: '#1d70b8' },
  { key: 'serviceTotal', label: 'service, total', colour: '#003078' },
  { key: 'limit', label: 'physical limit (direct to stub), total', colour: '#00703c' },
  { key: 'floor', label: 'runtime floor (null service), total', colour: '#b1b4b6' },
] as const;

const WIDTH = 960;
const LEFT = 300;
const RIGHT = 90;
const BAR = 14;
const GAP = 3;
const GROUP_GAP = 18;
const TOP = 70;

export function chartSvg(report: Report): string {
  const groups = report.scenarios.map((s) => {
    const limit = s.baselines[s.limit];
    const values: Record<(typeof SERIES)[number]['key'], number | undefined> = {
      serviceTtfb: s.service.ttfb.p50,
      serviceTotal: s.service.total.p50,
      limit: limit?.total.p50,
      floor: s.baselines.runtimeFloor?.total.p50,
    };
    const bars: Bar[] = SERIES.flatMap((k) => {
      const v = values[k.key];
      return v !== undefined && Number.isFinite(v) && v > 0 ? [{ label: k.label, value: v, colour: k.colour }] : [];
    });
    return { title: s.title, bars };
  });
  const all = groups.flatMap((g) => g.bars.map((b) => b.value));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 10)));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (v: number): number => LEFT + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotWidth;
  const groupHeight = SERIES.length * (BAR + GAP) + GROUP_GAP;
  const plotHeight = groups.length * groupHeight;
  const legendY = TOP + plotHeight + 30;
  const height = legendY + SERIES.length * 18 + 20;

  const out: string[] = [];
  out.push(...svgHead(WIDTH, height, `govuk-failover: median time per scenario (${report.mode} run, ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC)`, 'milliseconds, logarithmic scale; local runtime and stub backends on 127.0.0.1'));
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const gx = x(d).toFixed(1);
    out.push(`<line x1="${gx}" y1="${TOP - 8}" x2="${gx}" y2="${TOP + plotHeight - GROUP_GAP + 4}" stroke="#dddddd"/>`);
    out.push(`<text x="${gx}" y="${TOP - 12}" text-anchor="middle" fill="#505a5f">${d >= 1 ? d.toFixed(0) : d.toString()} ms</text>`);
  }
  groups.forEach((g, gi) => {
    const y0 = TOP + gi * groupHeight;
    out.push(`<text x="${LEFT - 10}" y="${(y0 + (SERIES.length * (BAR + GAP)) / 2 + 4).toFixed(1)}" text-anchor="end" font-weight="bold">${escape(g.title)}</text>`);
    g.bars.forEach((b, bi) => {
      const y = y0 + bi * (BAR + GAP);
      const w = Math.max(1, x(b.value) - LEFT);
      out.push(`<rect x="${LEFT}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${b.colour}"><title>${escape(`${g.title}: ${b.label} ${ms(b.value)} ms`)}</title></rect>`);
      out.push(`<text x="${(LEFT + w + 4).toFixed(1)}" y="${y + BAR - 3}" fill="#0b0c0c">${ms(b.value)}</text>`);
    });
  });
  out.push(...svgLegend(SERIES, LEFT, legendY));
  return svgDocument(out);
}

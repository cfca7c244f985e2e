/** The parts the benchmark's SVG charts share: escaping, the document with its titles, and the legend. */

export function escapeXml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** The opening of a chart: the svg element, a white background, a bold title and a grey subtitle. */
export function svgHead(width: number, height: number, title: string, subtitle: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${width / 2}" y="44" text-anchor="middle" fill="#505a5f">${escapeXml(subtitle)}</text>`,
  ];
}

/** One row per series, a colour square and its label, from `top` down. */
export function svgLegend(items: readonly { label: string; colour: string }[], left: number, top: number): string[] {
  return items.flatMap((item, i) => {
    const y = top + i * 18;
    return [`<rect x="${left}" y="${y - 10}" width="12" height="12" fill="${item.colour}"/>`, `<text x="${left + 18}" y="${y}">${escapeXml(item.label)}</text>`];
  });
}

/** The closing of a chart, and the document as text. */
export function svgDocument(lines: readonly string[]): string {
  return `${[...lines, '</svg>'].join('\n')}\n`;
}

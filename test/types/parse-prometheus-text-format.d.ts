/** The parts of parse-prometheus-text-format the tests use (it ships no types). */
declare module 'parse-prometheus-text-format' {
  interface ParsedMetric {
    readonly value: string;
    readonly labels?: Readonly<Record<string, string>>;
  }
  interface ParsedFamily {
    readonly name: string;
    readonly help: string;
    readonly type: string;
    readonly metrics: readonly ParsedMetric[];
  }
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}

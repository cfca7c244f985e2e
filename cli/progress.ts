/**
 * Progress on stderr while requests run: a spinner line on a terminal, one
 * plain line per finished request when stderr is piped (logs, cron, CI).
 */

export interface Progress {
  /** One request finished; `summary` is e.g. `200 in 41 ms`. */
  finished(label: string, summary: string): void;
  /** Clears the spinner. Call once, when everything has finished. */
  end(): void;
}

export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY: boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;

export function startProgress(out: ProgressOutput, what: string, total: number): Progress {
  return out.isTTY ? spinner(out, what, total) : plainLines(out, what, total);
}

function spinner(out: ProgressOutput, what: string, total: number): Progress {
  let frame = 0;
  let done = 0;
  const draw = () => out.write(`\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${what}: ${done}/${total} done`);
  draw();
  const timer = setInterval(draw, FRAME_MS);
  timer.unref();
  return {
    finished() {
      done++;
      draw();
    },
    end() {
      clearInterval(timer);
      out.write('\r\x1b[K');
    },
  };
}

function plainLines(out: ProgressOutput, what: string, total: number): Progress {
  out.write(`${what}: ${total} requests\n`);
  return {
    finished(label, summary) {
      out.write(`  ${label}: ${summary}\n`);
    },
    end() {},
  };
}

const BAR_WIDTH = 30;

/**
 * For long runs (`drift`): a bar redrawn in place on a terminal, and nothing
 * at all when stderr is not a terminal (pipes, cron, CI, `--json`).
 */
export function startProgressBar(out: ProgressOutput, what: string, total: number): Progress {
  if (!out.isTTY) return { finished() {}, end() {} };
  let done = 0;
  const draw = () => {
    const filled = total === 0 ? BAR_WIDTH : Math.floor((done / total) * BAR_WIDTH);
    out.write(`\r\x1b[K${what} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total}`);
  };
  draw();
  return {
    finished() {
      done++;
      draw();
    },
    end() {
      out.write('\r\x1b[K');
    },
  };
}

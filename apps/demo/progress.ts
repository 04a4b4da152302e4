// A one-line progress bar: redrawn in place on a terminal, a few milestones when the output is a file or a pipe.

export interface ProgressBar {
  update(loaded: number): void;
  done(): void;
}

/** A bar for `total` bytes, labelled `label`. */
export function progressBar(label: string, total: number, out: NodeJS.WriteStream = process.stdout): ProgressBar {
  const width = 30;
  let lastQuarter = -1;
  const render = (loaded: number) => {
    const share = total === 0 ? 1 : Math.min(1, loaded / total);
    const filled = Math.round(share * width);
    return `  ${label} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${(loaded / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)} MiB`;
  };
  return {
    update(loaded) {
      if (out.isTTY) {
        out.write(`\r${render(loaded)}`);
        return;
      }
      const quarter = Math.floor((Math.min(loaded, total) / (total || 1)) * 4);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        out.write(`${render(loaded)}\n`);
      }
    },
    done() {
      out.write(out.isTTY ? `\r${render(total)}\n` : `${render(total)}\n`);
    },
  };
}

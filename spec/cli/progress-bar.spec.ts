import { expect } from 'chai';
import type { TransferProgress } from '../../lib';
import { formatBytes, formatClock, formatDuration } from '../../lib/cli/format';
import { ProgressBar, renderBar } from '../../lib/cli/progress-bar';

const MiB = 1024 * 1024;

const tick = (transferredBytes: number, totalBytes: number | undefined, elapsedMs = 1000): TransferProgress => ({
  kind: 'progress',
  transferredBytes,
  totalBytes,
  percent: totalBytes === undefined ? undefined : totalBytes === 0 ? 100 : (transferredBytes / totalBytes) * 100,
  bytesPerSecond: elapsedMs === 0 ? 0 : (transferredBytes * 1000) / elapsedMs,
  elapsedMs,
});

describe('cli: renderBar (pure)', () => {
  it('shows the label, a bar, the percentage, the bytes, the rate and the ETA', () => {
    const line = renderBar(tick(15 * MiB, 30 * MiB, 1000), 100, 'big.bin');
    expect(line).to.match(/^big\.bin \[█+░+\]  +50%  15\.0 MiB\/30\.0 MiB  +15\.0 MiB\/s  ETA +0:01$/);
    const bar = /\[(.*)\]/.exec(line)![1]!;
    expect(bar.replace(/░/g, '')).to.have.length(bar.length / 2);
  });

  it('is empty at 0 %, full at 100 %, and never says 100 % before the end', () => {
    expect(renderBar(tick(0, 10 * MiB, 0), 80, 'f')).to.match(/\[░+\] +0% .* ETA --:--$/);
    expect(renderBar(tick(10 * MiB, 10 * MiB), 80, 'f')).to.match(/\[█+\]  100% .* ETA +0:00$/);
    expect(renderBar(tick(10 * MiB - 1, 10 * MiB), 80, 'f')).to.include(' 99%');
  });

  it('handles a 0-byte transfer', () => {
    expect(renderBar(tick(0, 0, 5), 80, 'empty')).to.match(/\[█+\]  100%  +0 B\/0 B/);
  });

  it('without a known total shows bytes, rate and elapsed time, no bar and no percentage', () => {
    const line = renderBar(tick(3 * MiB, undefined, 1500), 80, 'stdin');
    expect(line).to.not.include('[');
    expect(line).to.not.include('%');
    expect(line).to.match(/^stdin +3\.00 MiB +2\.00 MiB\/s +1\.5 s$/);
  });

  it('keeps the same layout as the numbers change, so the bar does not jitter', () => {
    const widths = [0, 1, 512 * 1024, 7 * MiB, 29 * MiB, 30 * MiB].map((n) => renderBar(tick(n, 30 * MiB, 700), 90, 'x').length);
    expect(new Set(widths).size).to.equal(1);
  });

  it('never exceeds the width: shortens the label (keeping its end), then drops the bar and the numbers', () => {
    const label = '/a/very/long/directory/name/that/goes/on/and/on/final-name.bin';
    for (let width = 1; width <= 160; width += 1) {
      for (const t of [tick(12 * MiB, 30 * MiB), tick(12 * MiB, undefined), tick(0, 0, 0)]) {
        expect(renderBar(t, width, label).length, `width ${width}`).to.be.at.most(width);
      }
    }
    const shortened = renderBar(tick(12 * MiB, 30 * MiB), 80, label);
    expect(shortened).to.match(/^…\S*final-name\.bin \[/);
    expect(renderBar(tick(12 * MiB, 30 * MiB), 30, label)).to.not.include('[');
    expect(renderBar(tick(12 * MiB, 30 * MiB), 30, label)).to.include('40%');
  });

  it('caps the bar on a wide terminal', () => {
    const bar = /\[(.*)\]/.exec(renderBar(tick(1, 2), 300, 'f'))![1]!;
    expect(bar.length).to.equal(40);
  });
});

describe('cli: ProgressBar (throttled redraws)', () => {
  const terminal = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, isTTY, columns: 81, write: (text: string) => writes.push(text) };
  };

  it('redraws in place (\\r, erase to end of line) at most once per interval; the first and final ticks always draw', () => {
    const t = terminal(true);
    let now = 0;
    const bar = new ProgressBar(t, 'f', { intervalMs: 100, now: () => now });
    bar.update(tick(0, 100));
    now = 50;
    bar.update(tick(10, 100)); // throttled
    now = 120;
    bar.update(tick(20, 100));
    now = 130;
    bar.update(tick(100, 100)); // final: drawn although within the interval
    expect(t.writes).to.have.length(3);
    for (const w of t.writes) {
      expect(w.startsWith('\r')).to.equal(true);
      expect(w.endsWith('\x1b[K')).to.equal(true);
      expect(w.length - 4).to.be.at.most(80); // one column short of the edge
    }
    expect(t.writes.map((w) => /(\d+)%/.exec(w)![1])).to.deep.equal(['0', '20', '100']);
    bar.clear();
    expect(t.writes[3]).to.equal('\r\x1b[2K');
    bar.clear();
    expect(t.writes).to.have.length(4);
  });

  it('draws nothing when the output is not a terminal', () => {
    const t = terminal(false);
    const bar = new ProgressBar(t, 'f');
    bar.update(tick(0, 100));
    bar.update(tick(100, 100));
    bar.clear();
    expect(bar.live).to.equal(false);
    expect(t.writes).to.deep.equal([]);
  });
});

describe('cli: formats', () => {
  it('formats bytes with three significant digits in binary units', () => {
    expect([0, 1, 1023, 1024, 1536, 10 * 1024, 999 * 1024, 1000 * 1024, 30 * MiB, 118 * MiB, 5 * 1024 * MiB].map(formatBytes)).to.deep.equal([
      '0 B', '1 B', '1023 B', '1.00 KiB', '1.50 KiB', '10.0 KiB', '999 KiB', '0.98 MiB', '30.0 MiB', '118 MiB', '5.00 GiB',
    ]);
  });

  it('formats durations and clocks', () => {
    expect([0, 850, 1234, 59_949, 125_000].map(formatDuration)).to.deep.equal(['0 ms', '850 ms', '1.2 s', '59.9 s', '2:05']);
    expect([0, 7, 750, 3725].map(formatClock)).to.deep.equal(['0:00', '0:07', '12:30', '1:02:05']);
  });
});

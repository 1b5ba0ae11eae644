import { expect } from 'chai';
import type { TransferProgress } from '../../lib';
import { PartCounter, ProgressMeter } from '../../lib/internal/progress';

/** A meter on a fake clock, collecting its ticks. */
function meter(total: number | undefined, intervalMs = 100) {
  let now = 1_000;
  const ticks: TransferProgress[] = [];
  const m = new ProgressMeter(total, (t) => ticks.push(t), { intervalMs, minFraction: 0.01 }, () => now);
  return { m, ticks, advance: (ms: number) => (now += ms) };
}

describe('ProgressMeter (pure, fake clock)', () => {
  it('starts at 0, ends exactly at the total, and is monotonic', () => {
    const { m, ticks, advance } = meter(1000);
    m.start();
    for (let i = 0; i < 10; i += 1) {
      advance(150);
      m.add(100);
    }
    m.finish();
    expect(ticks[0]).to.include({ kind: 'progress', transferredBytes: 0, totalBytes: 1000, percent: 0 });
    expect(ticks[ticks.length - 1]).to.include({ transferredBytes: 1000, percent: 100 });
    const bytes = ticks.map((t) => t.transferredBytes);
    expect(bytes).to.deep.equal([...bytes].sort((a, b) => a - b));
    expect(new Set(bytes).size).to.equal(bytes.length);
  });

  it('emits at most one tick per interval', () => {
    const { m, ticks, advance } = meter(1_000_000);
    m.start();
    for (let i = 0; i < 100; i += 1) {
      advance(10);
      m.add(10_000);
    }
    // 1,000 ms elapsed at one tick per 100 ms: the first tick plus at most 10.
    expect(ticks.length).to.be.at.most(11);
    m.finish();
    expect(ticks[ticks.length - 1]!.transferredBytes).to.equal(1_000_000);
  });

  it('emits no tick for less than 1 % of the total, however long it waits', () => {
    const { m, ticks, advance } = meter(1_000_000);
    m.start();
    advance(1000);
    m.add(9_999);
    expect(ticks).to.have.length(1);
    advance(1000);
    m.add(1);
    expect(ticks).to.have.length(2);
  });

  it('with an unknown total, ticks by time only and the last tick sets the total', () => {
    const { m, ticks, advance } = meter(undefined);
    m.start();
    advance(200);
    m.add(5);
    m.finish();
    expect(ticks.map((t) => [t.transferredBytes, t.totalBytes])).to.deep.equal([[0, undefined], [5, undefined], [5, 5]]);
  });

  it('a zero-byte transfer has one tick, 0 of 0 at 100 %', () => {
    const { m, ticks } = meter(0);
    m.start();
    m.finish();
    expect(ticks).to.have.length(1);
    expect(ticks[0]).to.include({ transferredBytes: 0, totalBytes: 0, percent: 100 });
  });

  it('emits nothing after stop', () => {
    const { m, ticks, advance } = meter(100);
    m.start();
    m.stop();
    advance(1000);
    m.add(100);
    m.finish();
    expect(ticks).to.have.length(1);
  });

  it('reports the average rate', () => {
    const { m, ticks, advance } = meter(2000);
    m.start();
    advance(1000);
    m.add(1000);
    expect(ticks[1]!.bytesPerSecond).to.equal(1000);
    expect(ticks[1]!.elapsedMs).to.equal(1000);
  });
});

describe('PartCounter', () => {
  it('counts a retried attempt only beyond the best attempt so far', () => {
    const { m, ticks, advance } = meter(100, 0);
    m.start();
    const part = new PartCounter(m);
    part.newAttempt();
    part.add(30);
    advance(1);
    part.add(20); // 50 sent, then the connection drops
    part.newAttempt();
    part.add(40); // the retry re-sends: nothing new yet
    advance(1);
    part.add(60); // 100: 50 new bytes
    m.finish();
    expect(m.transferredBytes).to.equal(100);
    expect(ticks.map((t) => t.transferredBytes)).to.deep.equal([0, 30, 50, 100]);
  });
});

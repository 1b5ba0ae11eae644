import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { bytes, useBucket } from '../support/fixtures';
import { cliEnv, MAIN, ROOT, TSX } from '../cli/support';
import { expectUploadGone } from './support';

const MiB = 1024 * 1024;

/** The CLI as a child whose stdin stays open (the shared helper ends it at once) and whose stdout we read (or not). */
function spawnCli(args: readonly string[], nodeArgs: readonly string[] = []): { child: ChildProcessWithoutNullStreams; stdout: Buffer[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', TSX, MAIN, ...args], { cwd: ROOT, env: cliEnv(), stdio: 'pipe' });
  const stdout: Buffer[] = [];
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout, exited };
}

/** Makes a child print its own peak resident memory at exit (see spec/support/report-peak-rss.cjs). */
const REPORT_PEAK_RSS = ['--require', path.join(ROOT, 'spec', 'support', 'report-peak-rss.cjs')];

describe('faults: the CLI with idle stdin and a slow stdout', function () {
  this.timeout(60_000);
  const fx = useBucket('fault-cli');

  it('issue 9 item 3: the first Ctrl-C on `cp - s3://...` with an idle stdin aborts the upload and exits 130', async () => {
    const cli = spawnCli(['cp', '-', `s3://${fx.bucket}/from-stdin`, '--part-size', '5MiB', '--json']);
    const lines: Array<Record<string, unknown>> = [];
    let pending = '';
    cli.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(pending.slice(0, newline)) as Record<string, unknown>);
        pending = pending.slice(newline + 1);
      }
    });
    let stderr = '';
    cli.child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    cli.child.stdin.write(bytes(6 * MiB, 9)); // one part and a bit; then stdin stays open and idle
    while (!lines.some((l) => l.kind === 'progress')) {
      if (cli.child.exitCode !== null) throw new Error(`the CLI ended early: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the first part goes out; the second waits for stdin
    cli.child.kill('SIGINT');
    const code = await Promise.race([cli.exited, new Promise((resolve) => setTimeout(() => resolve('still running 10 s after Ctrl-C'), 10_000))]);
    if (code !== 130) cli.child.kill('SIGKILL');
    expect(code, stderr).to.equal(130);
    const last = lines[lines.length - 1]!;
    expect(last).to.include({ kind: 'cancelled', signal: 'SIGINT' });
    expect(last.abortedUploadIds).to.deep.equal([last.uploadId]);
    await expectUploadGone(fx.rx, fx.bucket, 'from-stdin', last.uploadId as string);
  });

  it('issue 9 item 11: `cp s3://b/k -` waits for a slow stdout instead of buffering the object in memory', async () => {
    // 64 MiB against a 24 MiB bound: a CLI that buffered the object would hold all of it within the 2 s pause, while
    // the resident-size noise between two runs of the CLI (GC timing, code loaded) reached 10 MiB on a CI machine.
    const big = bytes(64 * MiB, 10);
    expect((await lastValueFrom(fx.rx.uploadStream(fx.bucket, 'big', Readable.from([big])))).ok).to.equal(true);
    expect((await lastValueFrom(fx.rx.putObject(fx.bucket, 'tiny', 'x'))).ok).to.equal(true);

    // The peak resident memory from start to the end of a 2 s pause of stdout (or to exit, if it ended before).
    const peakWhilePaused = async (key: string): Promise<{ peak: number; out: Buffer }> => {
      const cli = spawnCli(['cp', `s3://${fx.bucket}/${key}`, '-'], REPORT_PEAK_RSS);
      let stderr = '';
      cli.child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      cli.child.stdout.pause(); // nobody reads stdout for a while
      for (let waited = 0; waited < 2_000 && cli.child.exitCode === null; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      if (cli.child.exitCode === null) {
        cli.child.kill('SIGUSR2');
        while (!/rx-s3-peak-rss/.test(stderr) && cli.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      cli.child.stdout.on('data', (chunk: Buffer) => cli.stdout.push(chunk));
      cli.child.stdout.resume();
      expect(await cli.exited, stderr).to.equal(0);
      const peak = Number(/rx-s3-peak-rss (\d+)/.exec(stderr)?.[1]);
      expect(peak, stderr).to.be.above(0);
      return { peak, out: Buffer.concat(cli.stdout) };
    };
    const tiny = await peakWhilePaused('tiny');
    const paused = await peakWhilePaused('big');
    expect(paused.out.length).to.equal(big.length);
    expect(paused.out.equals(big)).to.equal(true);
    expect(paused.peak - tiny.peak, 'extra memory held behind a paused stdout').to.be.below(24 * MiB);
  });
});

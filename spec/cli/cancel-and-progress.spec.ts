import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { useBucket, useTempDir } from '../support/fixtures';
import { cliEnv, MAIN, startCli, startThrottlingProxy, TSX } from './support';

const MiB = 1024 * 1024;
/** Slow enough that a 30 MiB transfer takes seconds, so Ctrl-C lands in the middle of it. */
const PROXY_RATE = 8 * MiB;

describe('cli: Ctrl-C and live progress', function () {
  this.timeout(60_000);
  const fx = useBucket('cli-cancel');
  const dir = useTempDir();
  let proxy: { readonly endpoint: string; close(): Promise<void> };
  const url = (key: string): string => `s3://${fx.bucket}/${key}`;

  before(async () => {
    proxy = await startThrottlingProxy(PROXY_RATE);
  });
  after(async () => {
    await proxy.close();
  });

  it('SIGINT mid-upload (mv) exits 130, emits only a final "cancelled" with the aborted UploadId; no object, the file stays', async () => {
    const size = 30 * MiB;
    const file = join(dir.path, 'upload-30MiB.bin');
    await writeFile(file, randomFillSync(Buffer.alloc(size)));
    const cli = startCli(['mv', file, url('interrupted.bin'), '--part-size', '5MiB', '--json', '--endpoint-url', proxy.endpoint]);
    await cli.waitForJson((line) => line.kind === 'progress' && (line.transferredBytes as number) > 0);
    cli.child.kill('SIGINT');
    const result = await cli.done;

    expect(result.code, result.stderr).to.equal(130);
    const lines = result.json;
    const last = lines[lines.length - 1]!;
    expect(lines.slice(0, -1).every((l) => l.kind === 'progress'), JSON.stringify(lines.map((l) => l.kind))).to.equal(true);
    expect(lines.slice(0, -1).every((l) => (l.transferredBytes as number) < size)).to.equal(true);
    expect(last).to.include({ kind: 'cancelled', signal: 'SIGINT' });
    expect(last.uploadId).to.be.a('string').and.not.equal('');
    expect(last.abortedUploadIds).to.deep.equal([last.uploadId]);
    expect(result.stderr).to.equal(`rx-s3: cancelled (multipart upload ${String(last.uploadId)} aborted)\n`);

    expect((await stat(file)).size).to.equal(size);
    const head = await lastValueFrom(fx.rx.getObjectMetadata(fx.bucket, 'interrupted.bin'));
    expect(head.err && head.val.kind).to.equal('NoSuchKey');
    // The embedded server's ListMultipartUploads is always empty: prove the abort on the UploadId itself.
    const part = await fx.rx.client
      .send(new UploadPartCommand({ Bucket: fx.bucket, Key: 'interrupted.bin', UploadId: last.uploadId as string, PartNumber: 1, Body: Buffer.from('x') }))
      .then(() => 'accepted', (error: { name?: string }) => error.name);
    expect(part).to.equal('NoSuchUpload');
  });

  it('SIGINT mid-download exits 130 and leaves no partial file (neither the target nor a temp file)', async () => {
    const size = 30 * MiB;
    const source = join(dir.path, 'download-source.bin');
    await writeFile(source, randomFillSync(Buffer.alloc(size)));
    (await lastValueFrom(fx.rx.uploadFile(fx.bucket, 'download-30MiB.bin', source))).unwrap();
    const target = join(dir.path, 'downloads');
    await mkdir(target);
    const cli = startCli(['cp', url('download-30MiB.bin'), join(target, 'out.bin'), '--part-size', '5MiB', '--json', '--endpoint-url', proxy.endpoint]);
    await cli.waitForJson((line) => line.kind === 'progress' && (line.transferredBytes as number) > 0);
    expect((await readdir(target)).some((name) => name.endsWith('.rxs3-download'))).to.equal(true);
    cli.child.kill('SIGINT');
    const result = await cli.done;

    expect(result.code, result.stderr).to.equal(130);
    expect(result.json.map((l) => l.kind).filter((k) => k !== 'progress')).to.deep.equal(['cancelled']);
    expect(result.json[result.json.length - 1]).to.deep.equal({ kind: 'cancelled', signal: 'SIGINT', uploadIds: [], abortedUploadIds: [] });
    expect(await readdir(target)).to.deep.equal([]);
  });

  it('draws a live bar on a terminal: redrawn in place with \\r, with percentages, then one final line', async () => {
    const file = join(dir.path, 'pty-10MiB.bin');
    await writeFile(file, randomFillSync(Buffer.alloc(10 * MiB)));
    const command = [process.execPath, '--import', TSX, MAIN, 'cp', file, url('pty.bin'), '--part-size', '5MiB', '--endpoint-url', proxy.endpoint]
      .map((arg) => `'${arg.replace(/'/g, "'\\''")}'`)
      .join(' ');
    // util-linux `script` runs the command on a pseudo-terminal and copies what it shows to stdout.
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));

    expect(code, output).to.equal(0);
    const redraws = output.split('\r').filter((frame) => /\d+%/.test(frame));
    expect(redraws.length, JSON.stringify(output)).to.be.at.least(3);
    const percents = redraws.map((frame) => Number(/(\d+)%/.exec(frame)![1]));
    expect(percents[0]).to.equal(0);
    expect(percents[percents.length - 1]).to.equal(100);
    expect(new Set(percents).size).to.be.at.least(3);
    expect(redraws[1]).to.match(/pty-10MiB\.bin \[█*░*\] +\d+% +[\d.]+ \w?i?B\/10\.0 MiB +[\d.]+ \w?i?B\/s +ETA +[\d:-]+\x1b\[K/);
    expect(output).to.include('\x1b[2K'); // the bar is erased before the final line
    expect(output).to.match(new RegExp(`upload: \\S+pty-10MiB\\.bin to ${url('pty.bin')} \\(10\\.0 MiB in [^)]+\\)\\r?\\n`));
  });
});

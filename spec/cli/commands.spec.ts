import { createHash, randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import { collect, uniqueBucket, useBucket, useTempDir } from '../support/fixtures';
import { server } from '../support/server';
import { runCli, type CliResult, type JsonLine } from './support';
import { crc32Of as crc32Base64 } from '../../lib/internal/integrity';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** The same checks for every failure: exit code, one clear line on stderr, no stack trace. */
const expectFailure = (result: CliResult, code: number, line: RegExp): void => {
  expect(result.code, result.stderr).to.equal(code);
  expect(result.stderr).to.match(line);
  expect(result.stderr).to.not.match(/^\s+at /m);
};
const expectSuccess = (result: CliResult): void => {
  expect(result.code, `stderr: ${result.stderr}`).to.equal(0);
};

describe('cli: rx-s3 commands (child processes)', function () {
  this.timeout(60_000);
  const fx = useBucket('cli');
  const dir = useTempDir();
  const url = (key = ''): string => (key === '' ? `s3://${fx.bucket}` : `s3://${fx.bucket}/${key}`);
  const exists = async (key: string): Promise<boolean> => {
    const head = await lastValueFrom(fx.rx.getObjectMetadata(fx.bucket, key));
    if (head.err && head.val.kind !== 'NoSuchKey') throw new Error(head.val.message);
    return head.ok;
  };
  const body = async (key: string): Promise<Buffer> => {
    const got = (await lastValueFrom(fx.rx.getObject(fx.bucket, key))).unwrap();
    return buffer(got.body);
  };
  const put = async (key: string, data: string | Buffer): Promise<void> => {
    (await lastValueFrom(fx.rx.putObject(fx.bucket, key, data))).unwrap();
  };

  describe('help, version and usage errors', () => {
    it('--version, --help and <command> --help print to stdout and exit 0', async () => {
      const [version, help, cpHelp] = await Promise.all([runCli(['--version']), runCli(['--help']), runCli(['cp', '--help'])]);
      const pkg = JSON.parse(await readFile(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
      expect(version.stdout).to.equal(`rx-s3 ${pkg.version}\n`);
      expectSuccess(help);
      for (const command of ['ls', 'cp', 'mv', 'rm', 'mb', 'rb', 'presign', 'stat']) expect(help.stdout).to.match(new RegExp(`^  ${command} +\\S`, 'm'));
      for (const option of ['--endpoint-url', '--profile', '--region', '--force-path-style', '--json', '--version']) expect(help.stdout).to.include(option);
      expectSuccess(cpHelp);
      expect(cpHelp.stdout).to.include('rx-s3 cp s3://bucket/key <file|dir>').and.include('--dry-run').and.include('--part-size');
    });

    it('usage errors print one line and a hint to stderr and exit 2 (also as a JSON error with --json)', async () => {
      const [unknown, operands, noKey, json] = await Promise.all([
        runCli(['bogus']),
        runCli(['cp', 'only-one', '--method', 'POST']),
        runCli(['rm', url()]),
        runCli(['--json', 'cp', 'a', 'b']),
      ]);
      expectFailure(unknown, 2, /^rx-s3: unknown command 'bogus' .*\nTry 'rx-s3 --help'\.\n$/);
      expectFailure(operands, 2, /^rx-s3: unknown option --method\nTry 'rx-s3 cp --help'\.\n$/);
      expectFailure(noKey, 2, /^rx-s3: no key in 's3:\/\/[^']+' \(s3:\/\/bucket\/key\)/);
      expectFailure(json, 2, /local to local is not supported/);
      expect(json.json).to.deep.equal([{ kind: 'error', error: { kind: 'Usage', message: 'cp needs an s3:// source or target (local to local is not supported)' } }]);
      expect(unknown.stdout + operands.stdout).to.equal('');
    });
  });

  describe('mb, rb', () => {
    it('mb creates a bucket and rb deletes it; failures name the bucket and exit 1 (2 for a bad name)', async () => {
      const bucket = uniqueBucket('cli-mb');
      const made = await runCli(['mb', `s3://${bucket}`]);
      expectSuccess(made);
      expect(made.stdout).to.equal(`make_bucket: ${bucket}\n`);
      expect((await lastValueFrom(fx.rx.getBucketMetadata(bucket))).ok).to.equal(true);

      const [removed, missing, badName] = await Promise.all([
        runCli(['rb', `s3://${bucket}`]),
        runCli(['rb', 's3://rxs3-cli-no-such-bucket']),
        runCli(['mb', 's3://Not_A_Bucket']),
      ]);
      expectSuccess(removed);
      expect(removed.stdout).to.equal(`remove_bucket: ${bucket}\n`);
      expect((await lastValueFrom(fx.rx.getBucketMetadata(bucket))).err).to.equal(true);
      expectFailure(missing, 1, /^rx-s3: NoSuchBucket: bucket rxs3-cli-no-such-bucket does not exist\n$/);
      expectFailure(badName, 2, /^rx-s3: InvalidInput: invalid bucket name "Not_A_Bucket"/);
    });

    it('rb refuses a bucket with objects (BucketNotEmpty); rb --force empties it first', async () => {
      const bucket = uniqueBucket('cli-rb');
      (await lastValueFrom(fx.rx.createBucket(bucket))).unwrap();
      for (const key of ['a', 'b/c', 'b/d']) (await lastValueFrom(fx.rx.putObject(bucket, key, key))).unwrap();
      const refused = await runCli(['rb', `s3://${bucket}`]);
      expectFailure(refused, 1, /^rx-s3: BucketNotEmpty: /);
      const forced = await runCli(['rb', '--force', `s3://${bucket}`, '--json']);
      expectSuccess(forced);
      expect(forced.json.map((l) => `${String(l.action)} ${String(l.target)}`)).to.deep.equal([
        `delete s3://${bucket}/a`, `delete s3://${bucket}/b/c`, `delete s3://${bucket}/b/d`, `remove_bucket ${bucket}`,
      ]);
      expect((await lastValueFrom(fx.rx.getBucketMetadata(bucket))).err).to.equal(true);
    });
  });

  describe('cp', () => {
    it('uploads a file in parts; --json streams monotonic progress ticks, then complete; no bar off a terminal', async () => {
      const data = randomFillSync(Buffer.alloc(12 * MiB + 7));
      const file = join(dir.path, 'upload.bin');
      await writeFile(file, data);
      const result = await runCli(['cp', file, url('up/'), '--part-size', '5MiB', '--json', '--metadata', 'owner=cli', '--content-type', 'application/x-test']);
      expectSuccess(result);
      expect(result.stderr).to.equal('');
      const ticks = result.json.filter((l) => l.kind === 'progress');
      const last = result.json[result.json.length - 1]!;
      expect(result.json.slice(0, -1).every((l) => l.kind === 'progress')).to.equal(true);
      expect(ticks[0]).to.include({ transferredBytes: 0, totalBytes: data.length, action: 'upload', source: file, target: url('up/upload.bin') });
      expect(ticks[ticks.length - 1]).to.include({ transferredBytes: data.length, percent: 100 });
      for (let i = 1; i < ticks.length; i += 1) expect(ticks[i]!.transferredBytes).to.be.at.least(ticks[i - 1]!.transferredBytes as number);
      expect(last).to.include({ kind: 'complete', action: 'upload', size: data.length, parts: 3, target: url('up/upload.bin') });
      expect(sha256(await body('up/upload.bin'))).to.equal(sha256(data));
      const meta = (await lastValueFrom(fx.rx.getObjectMetadata(fx.bucket, 'up/upload.bin'))).unwrap();
      expect(meta.metadata).to.deep.equal({ owner: 'cli', 'rxs3-crc32': crc32Base64(data) });
      expect(meta.contentType).to.equal('application/x-test');
    });

    it('downloads into a directory, copies S3 to S3, writes to stdout and reads stdin', async () => {
      const data = randomFillSync(Buffer.alloc(6 * MiB));
      await put('src/data.bin', data);
      const into = join(dir.path, 'downloads');
      await mkdir(into);
      const [down, copy, stdout, stdin] = await Promise.all([
        runCli(['cp', url('src/data.bin'), into, '--part-size', '5MiB']),
        runCli(['cp', url('src/data.bin'), url('copies/')]),
        runCli(['cp', url('src/data.bin'), '-']),
        runCli(['cp', '-', url('from-stdin.txt')], { stdin: 'piped in\n' }),
      ]);
      expectSuccess(down);
      expect(down.stdout).to.match(new RegExp(`^download: ${url('src/data.bin')} to ${join(into, 'data.bin')} \\(6\\.00 MiB in .+/s\\)\\n$`));
      expect(sha256(await readFile(join(into, 'data.bin')))).to.equal(sha256(data));
      expect(await readdir(into)).to.deep.equal(['data.bin']);

      expectSuccess(copy);
      expect(copy.stdout).to.match(new RegExp(`^copy: ${url('src/data.bin')} to ${url('copies/data.bin')} \\(6\\.00 MiB in .+/s\\)\\n$`));
      expect(sha256(await body('copies/data.bin'))).to.equal(sha256(data));

      expectSuccess(stdout);
      expect(stdout.stdoutBytes.length).to.equal(data.length);
      expect(sha256(stdout.stdoutBytes)).to.equal(sha256(data));
      expect(stdout.stderr).to.equal('');
      expectSuccess(stdin);
      expect(stdin.stdout).to.match(/^upload: - to s3:\/\/\S+\/from-stdin\.txt /);
      expect((await body('from-stdin.txt')).toString()).to.equal('piped in\n');
    });

    it('failures: a missing key or file is one clear line, exit 1; with --json also an error line on stdout', async () => {
      const [missingKey, missingCopy, missingFile, json] = await Promise.all([
        runCli(['cp', url('nope.txt'), join(dir.path, 'nope.txt')]),
        runCli(['cp', url('nope.txt'), url('copy-of-nope.txt')]),
        runCli(['cp', join(dir.path, 'no-such-file'), url('x')]),
        runCli(['cp', url('nope.txt'), join(dir.path, 'nope.txt'), '--json']),
      ]);
      expectFailure(missingKey, 1, new RegExp(`^rx-s3: NoSuchKey: ${url('nope.txt')} does not exist\\n$`));
      expectFailure(missingCopy, 1, new RegExp(`^rx-s3: NoSuchKey: ${url('nope.txt')} does not exist\\n$`));
      expectFailure(missingFile, 1, /^rx-s3: LocalFile: \S+no-such-file: no such file or directory\n$/);
      expectFailure(json, 1, /NoSuchKey/);
      expect(json.json).to.have.length(1);
      expect(json.json[0]).to.deep.include({ kind: 'error' });
      expect(json.json[0]!.error).to.include({ kind: 'NoSuchKey', operation: 'downloadFile', bucket: fx.bucket, key: 'nope.txt', message: `${url('nope.txt')} does not exist` });
      expect(existsSync(join(dir.path, 'nope.txt'))).to.equal(false);
      expect(await exists('x')).to.equal(false);
      expect(await exists('copy-of-nope.txt')).to.equal(false);
    });
  });

  describe('mv', () => {
    it('moves local to S3, S3 to local and S3 to S3, deleting each source only after the copy', async () => {
      const file = join(dir.path, 'to-move.txt');
      await writeFile(file, 'move me');
      await put('mv/down.txt', 'come down');
      await put('mv/across.txt', 'go across');
      const local = join(dir.path, 'moved-down.txt');
      const [up, down, across] = await Promise.all([
        runCli(['mv', file, url('mv/up/')]),
        runCli(['mv', url('mv/down.txt'), local]),
        runCli(['mv', url('mv/across.txt'), url('mv/elsewhere/across.txt'), '--json']),
      ]);
      expectSuccess(up);
      expect(up.stdout).to.match(new RegExp(`^move: ${file} to ${url('mv/up/to-move.txt')} \\(7 B in `));
      expect(existsSync(file)).to.equal(false);
      expect((await body('mv/up/to-move.txt')).toString()).to.equal('move me');

      expectSuccess(down);
      expect(await readFile(local, 'utf8')).to.equal('come down');
      expect(await exists('mv/down.txt')).to.equal(false);

      expectSuccess(across);
      // The copy's progress ticks (0, then all 9 bytes), then the verified copy, then the move.
      expect(across.json.map((l) => [l.kind, l.stage ?? l.action])).to.deep.equal([['progress', 'move'], ['progress', 'move'], ['stage', 'copied'], ['complete', 'move']]);
      expect(across.json[3]).to.include({ source: url('mv/across.txt'), target: url('mv/elsewhere/across.txt'), size: 9 });
      expect(await exists('mv/across.txt')).to.equal(false);
      expect((await body('mv/elsewhere/across.txt')).toString()).to.equal('go across');
    });

    it('a failed move leaves the source: an upload to a missing bucket keeps the local file', async () => {
      const file = join(dir.path, 'stays.txt');
      await writeFile(file, 'still here');
      const result = await runCli(['mv', file, 's3://rxs3-cli-no-such-bucket/stays.txt']);
      expectFailure(result, 1, /^rx-s3: NoSuchBucket: /);
      expect(await readFile(file, 'utf8')).to.equal('still here');
    });
  });

  describe('ls', () => {
    before(async () => {
      for (const key of ['ls/a.txt', 'ls/b.txt', 'ls/sub/c.txt', 'ls/sub/deeper/d.txt', 'ls-old/e.txt']) await put(key, key);
    });

    it('lists buckets; lists one level with PRE lines, relative names; --recursive lists full keys', async () => {
      const [buckets, level, recursive] = await Promise.all([runCli(['ls']), runCli(['ls', url('ls/')]), runCli(['ls', url('ls/'), '--recursive'])]);
      expectSuccess(buckets);
      expect(buckets.stdout).to.match(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ${fx.bucket}$`, 'm'));
      expectSuccess(level);
      expect(level.stdout.split('\n').filter(Boolean).map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, 'DATE'))).to.deep.equal([
        '                           PRE sub/',
        'DATE          8 a.txt',
        'DATE          8 b.txt',
      ]);
      expectSuccess(recursive);
      expect(recursive.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/).pop())).to.deep.equal([
        'ls/a.txt', 'ls/b.txt', 'ls/sub/c.txt', 'ls/sub/deeper/d.txt',
      ]);
    });

    it('--json streams one page event per page; a missing bucket is NoSuchBucket', async () => {
      const [pages, missing] = await Promise.all([
        runCli(['ls', url('ls/'), '--recursive', '--page-size', '3', '--json']),
        runCli(['ls', 's3://rxs3-cli-no-such-bucket']),
      ]);
      expectSuccess(pages);
      expect(pages.json.map((p) => [p.kind, p.pageNumber, p.isLast, (p.objects as unknown[]).length])).to.deep.equal([
        ['page', 1, false, 3],
        ['page', 2, true, 1],
      ]);
      expect((pages.json[0]!.objects as JsonLine[])[0]).to.include({ key: 'ls/a.txt', size: 8 });
      expectFailure(missing, 1, /^rx-s3: NoSuchBucket: bucket rxs3-cli-no-such-bucket does not exist\n$/);
    });
  });

  describe('rm', () => {
    it('rm deletes one object; rm --recursive deletes a "directory" (not its look-alike siblings)', async () => {
      for (const key of ['rm/one.txt', 'rm/dir/a', 'rm/dir/b', 'rm/dir/sub/c', 'rm/dir-old/keep']) await put(key, key);
      const [one, tree] = await Promise.all([runCli(['rm', url('rm/one.txt')]), runCli(['rm', '--recursive', url('rm/dir')])]);
      expectSuccess(one);
      expect(one.stdout).to.equal(`delete: ${url('rm/one.txt')}\n`);
      expect(await exists('rm/one.txt')).to.equal(false);
      expectSuccess(tree);
      expect(tree.stdout.split('\n').filter(Boolean).sort()).to.deep.equal(['rm/dir/a', 'rm/dir/b', 'rm/dir/sub/c'].map((k) => `delete: ${url(k)}`));
      const left = (await collect(fx.rx.listObjects(fx.bucket, { prefix: 'rm/' }))).flatMap((p) => p.unwrap().objects.map((o) => o.key));
      expect(left).to.deep.equal(['rm/dir-old/keep']);
    });
  });

  describe('presign, stat', () => {
    it('presign prints URLs that work with fetch (GET by default; PUT with --method)', async () => {
      await put('presign/get.txt', 'signed content');
      const [get, putUrl] = await Promise.all([
        runCli(['presign', url('presign/get.txt')]),
        runCli(['presign', url('presign/put.txt'), '--method', 'put', '--expires-in', '60', '--json']),
      ]);
      expectSuccess(get);
      const fetched = await fetch(get.stdout.trim());
      expect(fetched.status).to.equal(200);
      expect(await fetched.text()).to.equal('signed content');

      expectSuccess(putUrl);
      expect(putUrl.json).to.have.length(1);
      const signed = putUrl.json[0]!;
      expect(signed).to.include({ kind: 'presigned', method: 'PUT', bucket: fx.bucket, key: 'presign/put.txt', expiresIn: 60 });
      expect(Date.parse(signed.expiresAt as string) - Date.now()).to.be.within(30_000, 61_000);
      expect((await fetch(signed.url as string, { method: 'PUT', body: 'put through the URL' })).status).to.equal(200);
      expect((await body('presign/put.txt')).toString()).to.equal('put through the URL');
    });

    it("stat shows an object's size, ETag, type, date and metadata; a missing key is NoSuchKey", async () => {
      (await lastValueFrom(fx.rx.putObject(fx.bucket, 'stat/x.txt', 'twelve bytes', { contentType: 'text/plain', metadata: { owner: 'me' } }))).unwrap();
      const [human, json, missing, bucket] = await Promise.all([
        runCli(['stat', url('stat/x.txt')]),
        runCli(['stat', url('stat/x.txt'), '--json']),
        runCli(['stat', url('stat/none.txt')]),
        runCli(['stat', url()]),
      ]);
      expectSuccess(human);
      const lines = human.stdout.split('\n');
      expect(lines[0]).to.equal(url('stat/x.txt'));
      expect(human.stdout).to.match(/^ {2}Size: +12 \(12 B\)$/m).and.match(/^ {2}ETag: +"[0-9a-f]{32}"$/m).and.match(/^ {2}Content-Type: +text\/plain$/m);
      expect(human.stdout).to.match(/^ {2}Last-Modified: +\d{4}-\d\d-\d\dT/m).and.match(/^ {2}x-amz-meta-owner: +me$/m);
      expectSuccess(json);
      expect(json.json[0]).to.deep.include({ kind: 'object', bucket: fx.bucket, key: 'stat/x.txt', size: 12, contentType: 'text/plain', metadata: { owner: 'me', 'rxs3-crc32': crc32Base64(Buffer.from('twelve bytes')) } });
      expectFailure(missing, 1, new RegExp(`^rx-s3: NoSuchKey: ${url('stat/none.txt')} does not exist\\n$`));
      expectSuccess(bucket);
      expect(bucket.stdout).to.match(new RegExp(`^${url()}\\n {2}Region: `));
    });
  });

  describe('--dry-run', () => {
    it('cp, mv, rm and mb send nothing at all (against an endpoint where nothing listens) and change nothing', async () => {
      await put('dry/keep.txt', 'keep');
      const file = join(dir.path, 'dry.txt');
      await writeFile(file, 'dry');
      const dead = ['--endpoint-url', 'http://127.0.0.1:9'];
      const results = await Promise.all([
        runCli(['cp', file, url('dry/'), '--dry-run', ...dead]),
        runCli(['mv', url('dry/keep.txt'), join(dir.path, 'dry-down.txt'), '--dry-run', ...dead]),
        runCli(['mv', url('dry/keep.txt'), url('dry/moved.txt'), '--dry-run', ...dead]),
        runCli(['rm', url('dry/keep.txt'), '--dry-run', ...dead]),
        runCli(['mb', 's3://rxs3-cli-dry-bucket', '--dry-run', ...dead]),
      ]);
      results.forEach(expectSuccess);
      expect(results.map((r) => r.stdout)).to.deep.equal([
        `(dryrun) upload: ${file} to ${url('dry/dry.txt')} (3 B)\n`,
        `(dryrun) move: ${url('dry/keep.txt')} to ${join(dir.path, 'dry-down.txt')}\n`,
        `(dryrun) move: ${url('dry/keep.txt')} to ${url('dry/moved.txt')}\n`,
        `(dryrun) delete: ${url('dry/keep.txt')}\n`,
        '(dryrun) make_bucket: rxs3-cli-dry-bucket\n',
      ]);
      expect(existsSync(file)).to.equal(true);
      expect(existsSync(join(dir.path, 'dry-down.txt'))).to.equal(false);
      expect((await body('dry/keep.txt')).toString()).to.equal('keep');
      expect(await exists('dry/dry.txt')).to.equal(false);
      expect(await exists('dry/moved.txt')).to.equal(false);
      expect((await lastValueFrom(fx.rx.getBucketMetadata('rxs3-cli-dry-bucket'))).err).to.equal(true);
    });

    it('rm --recursive and rb --force only list (to say what they would delete) and change nothing', async () => {
      for (const key of ['dry-tree/a', 'dry-tree/b']) await put(key, key);
      const [rmTree, rbForce] = await Promise.all([
        runCli(['rm', '--recursive', url('dry-tree/'), '--dry-run']),
        runCli(['rb', '--force', url(), '--dry-run', '--json']),
      ]);
      expectSuccess(rmTree);
      expect(rmTree.stdout).to.equal(`(dryrun) delete: ${url('dry-tree/a')}\n(dryrun) delete: ${url('dry-tree/b')}\n`);
      expectSuccess(rbForce);
      expect(rbForce.json.every((l) => l.kind === 'dryrun')).to.equal(true);
      expect(rbForce.json[rbForce.json.length - 1]).to.include({ action: 'remove_bucket', target: fx.bucket });
      expect(await exists('dry-tree/a')).to.equal(true);
      expect(await exists('dry-tree/b')).to.equal(true);
      expect((await lastValueFrom(fx.rx.getBucketMetadata(fx.bucket))).ok).to.equal(true);
    });
  });

  describe('connection settings', () => {
    it('reads credentials from --profile (shared files) and prefers AWS_ENDPOINT_URL_S3 over AWS_ENDPOINT_URL', async () => {
      const s = server();
      const credentials = join(dir.path, 'credentials');
      await writeFile(credentials, `[cli-spec]\naws_access_key_id = ${s.accessKeyId}\naws_secret_access_key = ${s.secretAccessKey}\n`);
      const env = {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL_S3: s.endpoint,
      };
      const [withProfile, unknownProfile] = await Promise.all([
        runCli(['ls', url('ls/'), '--profile', 'cli-spec'], { env }),
        runCli(['ls', url('ls/'), '--profile', 'no-such-profile'], { env }),
      ]);
      expectSuccess(withProfile);
      expect(withProfile.stdout).to.include('a.txt');
      expect(unknownProfile.code).to.equal(1);
      expect(unknownProfile.stderr).to.match(/^rx-s3: NoCredentials: no credentials found \(in profile 'no-such-profile' of the shared config and credentials files\)/);
      expect(unknownProfile.stderr.split('\n').filter(Boolean)).to.have.length(1);
    });
  });
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { bytes, useBucket, useTempDir } from './support/fixtures';
import { server } from './support/server';
import { TlsFront } from './support/tls-front';

const run = promisify(execFile);
const root = resolve(__dirname, '..');

/** A consumer's script: put an object through the installed package, read it back, print what it saw. */
const script = `const rx = new RxS3({ endpoint: process.env.E, forcePathStyle: true, region: process.env.R,
  credentials: { accessKeyId: process.env.A, secretAccessKey: process.env.S } });
const put = await lastValueFrom(rx.putObject(process.env.B, 'pkg.txt', 'from the package'));
const got = await lastValueFrom(rx.getObject(process.env.B, 'pkg.txt'));
const none = await lastValueFrom(rx.deleteObjects(process.env.B, []));
console.log(JSON.stringify({ put: put.ok, body: await text(got.unwrap().body), ok: typeof Ok, err: Err('x').err, empty: none.ok }));
rx.destroy();`;

/** A consumer's TypeScript, type-checked under `strict` against the installed package's declarations. */
const typed = `import { RxS3, type DeleteFailure, type S3Error, type SizedTransferProgress } from 'rx-s3';
const rx = new RxS3({ endpoint: 'http://127.0.0.1:1', forcePathStyle: true });
rx.downloadFile('b', 'k', '/tmp/k').subscribe((r) => {
  if (r.err) { const e: S3Error = r.val; console.log(e.kind, e.cause?.message); return; }
  if (r.val.kind === 'progress') { const p: SizedTransferProgress = r.val; console.log(p.percent.toFixed(1)); }
  else console.log(r.val.output.filePath);
});
const kindOf = (f: DeleteFailure): string => f.kind;
// @ts-expect-error kind is a closed union (this line would compile if the declarations resolved to any)
const wrong: DeleteFailure['kind'] = 'NoSuchThing';
export { kindOf, wrong };
`;

describe('the packed package (npm pack), installed into a fresh project', function () {
  this.timeout(120_000);
  const fx = useBucket('package');
  const dir = useTempDir();
  let files: string[] = [];
  let project = '';

  before(async function () {
    if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: npm test builds it first (pretest)');
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir.path], { cwd: root });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info!.files.map((f) => f.path).sort();

    // The project: the tarball unpacked as node_modules/rx-s3, beside exactly the dependencies its package.json
    // declares (linked from this checkout, so no registry is needed) and what a consumer brings itself.
    project = join(dir.path, 'consumer');
    await mkdir(join(project, 'node_modules', '@types'), { recursive: true });
    await run('tar', ['-xzf', join(dir.path, info!.filename), '-C', project]);
    await rename(join(project, 'package'), join(project, 'node_modules', 'rx-s3'));
    const manifest = JSON.parse(await readFile(join(project, 'node_modules', 'rx-s3', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(manifest.dependencies)) {
      await mkdir(dirname(join(project, 'node_modules', name)), { recursive: true });
      await symlink(join(root, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    }
    await symlink(join(root, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    await writeFile(
      join(project, 'consumer.cjs'),
      `const { RxS3, Ok, Err } = require('rx-s3');\nconst { lastValueFrom } = require('rxjs');\nconst { text } = require('node:stream/consumers');\n(async () => {\n${script}\n})();`,
    );
    await writeFile(
      join(project, 'consumer.mjs'),
      `import { RxS3, Ok, Err } from 'rx-s3';\nimport { lastValueFrom } from 'rxjs';\nimport { text } from 'node:stream/consumers';\n${script}`,
    );
    await writeFile(join(project, 'typed.cts'), typed);
    await writeFile(join(project, 'typed.mts'), typed);
  });

  it('ships the built code, its sources, the docs, LICENSE and CHANGELOG, and nothing that cannot run from the package', () => {
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/internal/lean/tls-worker.js', 'docs/guide.md']) {
      expect(files, file).to.include(file);
    }
    // Examples and specs import the repository's own lib/ and spec/ helpers: they run only from a checkout.
    expect(files.filter((f) => /^(docs\/examples|docs\/api|spec|bench|\.ci)\//.test(f))).to.deep.equal([]);
    expect(files.filter((f) => f.startsWith('lib/') && !f.endsWith('.ts'))).to.deep.equal([]);
  });

  it('every source map points at sources that ship', async () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).to.be.greaterThan(10);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(join(project, 'node_modules', 'rx-s3', map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const shipped = join(dirname(map), source).replace(/\\/g, '/');
        if (!files.includes(shipped)) missing.push(`${map} -> ${source}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('type-checks a consumer under strict, from CommonJS and ESM (node16 resolution)', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // skipLibCheck, as most projects have it: checking the AWS SDK's own declarations takes half a minute.
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--types', 'node'];
    await run(process.execPath, [tsc, ...flags, 'typed.cts', 'typed.mts'], { cwd: project }).catch((failure: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${failure.stdout ?? String(failure)}`);
    });
  });

  for (const file of ['consumer.cjs', 'consumer.mjs']) {
    it(`works with ${file.endsWith('.cjs') ? "require('rx-s3')" : "import { RxS3 } from 'rx-s3'"}`, async () => {
      const s = server();
      const { stdout } = await run(process.execPath, [file], {
        cwd: project,
        env: { ...process.env, E: s.endpoint, R: s.region, A: s.accessKeyId, S: s.secretAccessKey, B: fx.bucket, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      expect(JSON.parse(stdout.trim())).to.deep.equal({ put: true, body: 'from the package', ok: 'function', err: true, empty: true });
    });
  }

  it('downloads in ranges over https on its TLS worker threads (the compiled worker module), trusting NODE_EXTRA_CA_CERTS', async () => {
    const s = server();
    const front = await TlsFront.start(s.endpoint);
    try {
      const ca = join(dir.path, 'front-ca.pem');
      await writeFile(ca, front.ca);
      const data = bytes(12 * 1024 * 1024, 7);
      await writeFile(join(dir.path, 'tls.in'), data);
      const consumer = `const { RxS3 } = require('rx-s3');
const { lastValueFrom } = require('rxjs');
const { tlsWorkerCounters } = require(require('node:path').join(require.resolve('rx-s3'), '..', 'internal', 'lean', 'tls-workers.js'));
(async () => {
  const rx = new RxS3({ endpoint: process.env.E, forcePathStyle: true, region: process.env.R, credentials: { accessKeyId: process.env.A, secretAccessKey: process.env.S } });
  const up = await lastValueFrom(rx.uploadFile(process.env.B, 'tls.bin', process.env.IN, { partSize: 5 * 1024 * 1024 }));
  const down = await lastValueFrom(rx.downloadFile(process.env.B, 'tls.bin', process.env.OUT, { partSize: 5 * 1024 * 1024 }));
  console.log(JSON.stringify({ up: up.ok, down: down.ok || down.val.message, requests: tlsWorkerCounters.requests }));
})();`;
      await writeFile(join(project, 'tls.cjs'), consumer);
      const { stdout } = await run(process.execPath, ['tls.cjs'], {
        cwd: project,
        env: {
          ...process.env, E: front.endpoint, R: s.region, A: s.accessKeyId, S: s.secretAccessKey, B: fx.bucket, IN: join(dir.path, 'tls.in'), OUT: join(dir.path, 'tls.out'),
          NODE_EXTRA_CA_CERTS: ca, RXS3_DATA_PLANE: 'auto', RXS3_TLS_WORKERS: '2', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          // An AWS_CA_BUNDLE (this machine's names the system list) would replace Node's list, and with it the extra CA.
          AWS_CA_BUNDLE: '',
        },
      });
      expect(JSON.parse(stdout.trim())).to.deep.equal({ up: true, down: true, requests: 3 });
      expect((await readFile(join(dir.path, 'tls.out'))).equals(data)).to.equal(true);
    } finally {
      await front.stop();
    }
  });

  it('its rx-s3 bin runs from the package', async () => {
    const { stdout } = await run(process.execPath, [join(project, 'node_modules', 'rx-s3', 'dist', 'cli', 'main.js'), '--help'], { cwd: project });
    expect(stdout).to.match(/^rx-s3/m);
  });
});

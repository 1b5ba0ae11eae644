import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { useBucket, useTempDir } from './support/fixtures';
import { server } from './support/server';

const run = promisify(execFile);
const root = resolve(__dirname, '..');

/** A consumer's script: put an object through the built package, read it back, print what it saw. */
const script = (load: string) => `${load}
const { lastValueFrom } = require_('rxjs');
const { text } = require_('node:stream/consumers');
const rx = new RxS3({ endpoint: process.env.E, forcePathStyle: true, region: process.env.R,
  credentials: { accessKeyId: process.env.A, secretAccessKey: process.env.S } });
const put = await lastValueFrom(rx.putObject(process.env.B, 'pkg.txt', 'from the package'));
const got = await lastValueFrom(rx.getObject(process.env.B, 'pkg.txt'));
console.log(JSON.stringify({ put: put.ok, body: await text(got.unwrap().body), ok: typeof Ok, err: Err('x').err }));
rx.destroy();`;

describe('the built package (dist/) as a consumer loads it', function () {
  this.timeout(60_000);
  const fx = useBucket('package');
  const dir = useTempDir();

  before(async function () {
    if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: npm test builds it first (pretest)');
    await mkdir(join(dir.path, 'node_modules'), { recursive: true });
    await symlink(root, join(dir.path, 'node_modules', 'rx-s3'), 'dir');
    // npm would hoist rx-s3's dependencies beside it; the consumer uses rxjs itself.
    await symlink(join(root, 'node_modules', 'rxjs'), join(dir.path, 'node_modules', 'rxjs'), 'dir');
    await writeFile(
      join(dir.path, 'consumer.cjs'),
      `(async () => { const require_ = require;\nconst { RxS3, Ok, Err } = require('rx-s3');\n${script('')}\n})();`,
    );
    await writeFile(
      join(dir.path, 'consumer.mjs'),
      `import { RxS3, Ok, Err } from 'rx-s3';\nimport { createRequire } from 'node:module';\nconst require_ = createRequire(import.meta.url);\n${script('')}`,
    );
  });

  for (const file of ['consumer.cjs', 'consumer.mjs']) {
    it(`works with ${file.endsWith('.cjs') ? "require('rx-s3')" : "import { RxS3 } from 'rx-s3'"}`, async () => {
      const s = server();
      const { stdout } = await run(process.execPath, [file], {
        cwd: dir.path,
        env: { ...process.env, E: s.endpoint, R: s.region, A: s.accessKeyId, S: s.secretAccessKey, B: fx.bucket, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      expect(JSON.parse(stdout.trim())).to.deep.equal({ put: true, body: 'from the package', ok: 'function', err: true });
    });
  }
});

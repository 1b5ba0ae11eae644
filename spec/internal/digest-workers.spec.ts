import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { crc32Combine, digestWorkersForTests, parallelFileCrc32, setDigestWorkerIdleMs, sha256Hex, sharedBuffer, type FileToDigest } from '../../lib/internal/digest-workers';

const KiB = 1024;

async function fileToDigest(path: string): Promise<{ file: FileToDigest; close: () => Promise<void> }> {
  const handle = await open(path, 'r');
  const stat = await handle.stat();
  return {
    file: { path, stat, read: async (buffer, length, position) => (await handle.read(buffer, 0, length, position)).bytesRead },
    close: () => handle.close(),
  };
}

describe('digest workers: SHA-256 and file CRC32 off the main thread', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxs3-digests-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('crc32Combine(crc(a), crc(b), |b|) is crc(a || b), for any two byte strings', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), (a, b) => {
      const whole = crc32(Buffer.concat([a, b]));
      expect(crc32Combine(crc32(a), crc32(b), b.length)).to.equal(whole);
    }), { numRuns: 300 });
    // Lengths past 2^31 take the same path as small ones (no 32-bit shifts of the length).
    const zeros = Buffer.alloc(3 * 1024 * 1024);
    expect(crc32Combine(crc32(Buffer.from('x')), crc32(zeros), zeros.length)).to.equal(crc32(Buffer.concat([Buffer.from('x'), zeros])));
  });

  it('hashes a large shared-memory body on a worker, and any other body here, to the same SHA-256', async () => {
    const shared = sharedBuffer(3 * 1024 * KiB);
    randomBytes(shared.length).copy(shared);
    const plain = Buffer.from(shared);
    const expected = createHash('sha256').update(plain).digest('hex');
    expect(await sha256Hex(shared)).to.equal(expected);
    expect(await sha256Hex(shared.subarray(5, 2 * 1024 * KiB))).to.equal(createHash('sha256').update(plain.subarray(5, 2 * 1024 * KiB)).digest('hex'));
    expect(await sha256Hex(plain)).to.equal(expected);
    expect(await sha256Hex(new Uint8Array(0))).to.equal(createHash('sha256').digest('hex'));
  });

  it('falls back to this thread when a worker dies with the job', async () => {
    const shared = sharedBuffer(4 * 1024 * KiB);
    randomBytes(shared.length).copy(shared);
    const expected = createHash('sha256').update(shared).digest('hex');
    const hashes = Array.from({ length: 6 }, () => sha256Hex(shared));
    await Promise.all(digestWorkersForTests().map((w) => w.terminate()));
    expect(await Promise.all(hashes)).to.deep.equal(Array(6).fill(expected));
    // The pool starts again on the next job.
    expect(await sha256Hex(shared)).to.equal(expected);
  });

  it('workers idle for the idle limit end; digests go on, and the pool starts again', async () => {
    const previous = setDigestWorkerIdleMs(100);
    try {
      const shared = sharedBuffer(2 * 1024 * KiB);
      randomBytes(shared.length).copy(shared);
      const expected = createHash('sha256').update(shared).digest('hex');
      expect(await sha256Hex(shared)).to.equal(expected);
      const first = digestWorkersForTests();
      const exits = first.map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
      const ended = await Promise.race([Promise.all(exits).then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000))]);
      expect(ended, 'the idle workers exited').to.equal(true);
      expect(await sha256Hex(shared)).to.equal(expected);
      const second = digestWorkersForTests();
      expect(second.length).to.be.above(0);
      expect(second.some((w) => first.includes(w)), 'new workers').to.equal(false);
    } finally {
      setDigestWorkerIdleMs(previous);
    }
  });

  it('computes a file CRC32 in slices on the workers and here, equal to one pass, for sizes around slice boundaries', async () => {
    const data = randomBytes(1024 * KiB + 77);
    const path = join(dir, 'data.bin');
    await writeFile(path, data);
    const { file, close } = await fileToDigest(path);
    try {
      for (const size of [0, 1, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 500 * KiB, data.length]) {
        expect(await parallelFileCrc32(file, size, new AbortController().signal, 64 * KiB), `size ${size}`).to.equal(crc32(data.subarray(0, size)));
      }
    } finally {
      await close();
    }
  });

  it('refuses a file replaced under its path (the workers read by path, checked against the open one)', async () => {
    const path = join(dir, 'replaced.bin');
    await writeFile(path, randomBytes(512 * KiB));
    const { file, close } = await fileToDigest(path);
    try {
      await writeFile(join(dir, 'other.bin'), randomBytes(512 * KiB));
      await rename(join(dir, 'other.bin'), path);
      const failure = await parallelFileCrc32(file, 512 * KiB, new AbortController().signal, 64 * KiB).then(() => undefined, (e: unknown) => e);
      expect((failure as { code?: string }).code).to.equal('ECHANGED');
    } finally {
      await close();
    }
  });

  it('stops when aborted, and says so', async () => {
    const path = join(dir, 'abort.bin');
    await writeFile(path, randomBytes(1024 * KiB));
    const { file, close } = await fileToDigest(path);
    const abort = new AbortController();
    abort.abort(new Error('stop'));
    try {
      const failure = await parallelFileCrc32(file, 1024 * KiB, abort.signal, 64 * KiB).then(() => undefined, (e: unknown) => e);
      expect((failure as Error).message).to.equal('stop');
    } finally {
      await close();
    }
  });
});

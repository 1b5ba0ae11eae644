import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { crc32 } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompleteMultipartUploadCommandInput,
  type CreateMultipartUploadCommandInput,
  type UploadPartCommandInput,
} from '@aws-sdk/client-s3';
import { expect } from 'chai';
import type sinon from 'sinon';
import sinonModule from 'sinon';
import { toS3Error, type RxS3 } from '../../lib';
import { bytes, collect, interceptSend, spySend, useBucket, useTempDir } from '../support/fixtures';
import { makeClient } from '../support/server';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

const crc = (data: Buffer): string => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data) >>> 0);
  return out.toString('base64');
};

/** A body that passes every byte on, except the one at `offset` (counted in this response), which it flips. */
function flipByteAt(body: Readable, offset: number): Readable {
  let seen = 0;
  const flipper = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (offset >= seen && offset < seen + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[offset - seen] ^= 0x01;
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
  body.on('error', (e) => flipper.destroy(e));
  return body.pipe(flipper);
}

/** Fault injection: the GET answers' bodies (the first `times` of them) arrive with one byte flipped. */
function flipGetBodies(rx: RxS3, offset: number, times = Infinity): sinon.SinonStub {
  let flipped = 0;
  return interceptSend(rx, async (command, options, send) => {
    const answer = await send(command, options);
    if (command instanceof GetObjectCommand && flipped < times) {
      flipped += 1;
      return { ...answer, Body: flipByteAt(answer.Body as Readable, offset) };
    }
    return answer;
  });
}

describe('integrity: a whole-object CRC32 recorded at upload, verified at download', () => {
  const fx = useBucket('integrity');
  const dir = useTempDir();

  const head = async (key: string): Promise<Record<string, string>> => {
    const [r] = await collect(fx.rx.getObjectMetadata(fx.bucket, key));
    if (!r!.ok) throw new Error(r!.val.message);
    return { ...r!.val.metadata };
  };

  it('uploadFile records the CRC32 in the metadata, single PUT and multipart; integrity: false records none', async () => {
    const small = bytes(1000, 2);
    const large = bytes(2 * PART + 17, 3);
    await writeFile(join(dir.path, 'small'), small);
    await writeFile(join(dir.path, 'large'), large);
    await collect(fx.rx.uploadFile(fx.bucket, 'small', join(dir.path, 'small'), { metadata: { owner: 'ada' } }));
    await collect(fx.rx.uploadFile(fx.bucket, 'large', join(dir.path, 'large'), { partSize: PART }));
    await collect(fx.rx.uploadFile(fx.bucket, 'plain', join(dir.path, 'small'), { integrity: false }));
    expect(await head('small')).to.deep.equal({ owner: 'ada', 'rxs3-crc32': crc(small) });
    expect(await head('large')).to.deep.equal({ 'rxs3-crc32': crc(large) });
    expect(await head('plain')).to.deep.equal({});
  });

  it('uploadStream records it for a stream that fits in one part, not for a multipart stream (its metadata is sent first)', async () => {
    const small = bytes(3000, 4);
    await collect(fx.rx.uploadStream(fx.bucket, 'stream-small', Readable.from([small])));
    await collect(fx.rx.uploadStream(fx.bucket, 'stream-large', Readable.from([bytes(PART + 1, 5)]), { partSize: PART }));
    expect(await head('stream-small')).to.deep.equal({ 'rxs3-crc32': crc(small) });
    expect(await head('stream-large')).to.deep.equal({});
  });

  for (const [label, size, offset] of [
    ['one GET', 100_000, 77_777],
    ['ranged GETs', 2 * PART + 5, PART + 3],
  ] as const) {
    it(`downloadFile (${label}): a byte flipped in transit is Err(Integrity), no file at the destination, no temp file`, async () => {
      const data = bytes(size, 6);
      const source = join(dir.path, `flip-src-${size}`);
      await writeFile(source, data);
      await collect(fx.rx.uploadFile(fx.bucket, `flip-${size}`, source, { partSize: PART }));
      const work = join(dir.path, `flip-dir-${size}`);
      await import('node:fs/promises').then((fs) => fs.mkdir(work));
      const stub = flipGetBodies(fx.rx, offset % PART, 1);
      let results;
      try {
        results = await collect(fx.rx.downloadFile(fx.bucket, `flip-${size}`, join(work, 'out'), { partSize: PART, concurrency: 1 }));
      } finally {
        stub.restore();
      }
      const last = results[results.length - 1]!;
      expect(last.err && last.val.kind).to.equal('Integrity');
      expect(last.err && last.val.message).to.match(/do not match the object's CRC32 \(metadata .+, received .+\); .+ was left untouched/);
      expect(results.slice(0, -1).every((r) => r.ok && r.val.kind === 'progress')).to.equal(true);
      expect(await readdir(work)).to.deep.equal([]);
      // The same download without the fault is byte-identical.
      const [ok] = (await collect(fx.rx.downloadFile(fx.bucket, `flip-${size}`, join(work, 'out'), { partSize: PART }))).slice(-1);
      expect(ok!.ok).to.equal(true);
      expect((await readFile(join(work, 'out'))).equals(data)).to.equal(true);
    });
  }

  it('downloadFile (ranged GETs) checks the CRC32 as the bytes arrive, each range its own, combined: the file is never read back', async () => {
    const data = bytes(3 * PART + 11, 8);
    const source = join(dir.path, 'inline-src');
    await writeFile(source, data);
    await collect(fx.rx.uploadFile(fx.bucket, 'inline', source, { partSize: PART }));
    // The CommonJS module object, the one lib/ calls through (an ES namespace cannot be spied on).
    const fsPromises = require('node:fs/promises') as typeof import('node:fs/promises');
    const opened = sinonModule.spy(fsPromises, 'open');
    let results;
    try {
      results = await collect(fx.rx.downloadFile(fx.bucket, 'inline', join(dir.path, 'inline-out'), { partSize: PART, concurrency: 3 }));
    } finally {
      opened.restore();
    }
    expect(results[results.length - 1]!.ok).to.equal(true);
    expect((await readFile(join(dir.path, 'inline-out'))).equals(data)).to.equal(true);
    // The temp file is opened once, to be written ('wx'); a read-back would open it again for reading.
    const temps = opened.getCalls().filter((c) => String(c.args[0]).endsWith('.rxs3-download'));
    expect(temps.map((c) => c.args[1])).to.deep.equal(['wx']);
  });

  it('downloadPrefix (sizes from the listing, no HeadObject): a flipped byte is a failed item with Integrity and no file, one GET or ranged', async () => {
    const files = { 'a.bin': bytes(3000, 11), 'b/flip-small.bin': bytes(40_000, 12), 'c/flip-big.bin': bytes(PART + 999, 13), 'd.bin': bytes(10, 14) };
    const src = join(dir.path, 'bulk-flip-src');
    for (const [name, data] of Object.entries(files)) {
      await import('node:fs/promises').then(async (fs) => fs.mkdir(join(src, name, '..'), { recursive: true }));
      await writeFile(join(src, name), data);
    }
    const [up] = (await collect(fx.rx.uploadDirectory(src, fx.bucket, 'bulk-flip/', { partSize: PART }))).slice(-1);
    expect(up!.ok && up!.val.kind === 'summary' && up!.val.ok).to.equal(true);
    let heads = 0;
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      if (command instanceof HeadObjectCommand) heads += 1;
      const answer = await send(command, options);
      // The second range of the big object and the one GET of the small one arrive with a byte flipped.
      const range = command instanceof GetObjectCommand ? command.input.Range : undefined;
      if (command instanceof GetObjectCommand && command.input.Key!.includes('flip-') && (range === undefined || !range.startsWith('bytes=0-'))) {
        return { ...answer, Body: flipByteAt(answer.Body as Readable, 5) };
      }
      return answer;
    });
    const out = join(dir.path, 'bulk-flip-out');
    let results;
    try {
      results = await collect(fx.rx.downloadPrefix(fx.bucket, 'bulk-flip/', out, { partSize: PART, concurrency: 2 }));
    } finally {
      stub.restore();
    }
    expect(heads, 'no HeadObject: the digest came with the GET answers').to.equal(0);
    const events = results.map((r) => r.unwrap());
    const failed = events.flatMap((e) => (e.kind === 'failed' ? [[e.key, e.error.kind]] : []));
    expect(failed.sort()).to.deep.equal([['b/flip-small.bin', 'Integrity'], ['c/flip-big.bin', 'Integrity']]);
    const summary = events[events.length - 1]!;
    expect(summary.kind === 'summary' && [summary.ok, summary.transferred, summary.failed]).to.deep.equal([false, 2, 2]);
    expect((await readFile(join(out, 'a.bin'))).equals(files['a.bin'])).to.equal(true);
    expect(await readdir(join(out, 'b'))).to.deep.equal([]);
    expect(await readdir(join(out, 'c'))).to.deep.equal([]);
    // Without the fault, the same download verifies and writes every file.
    const [again] = (await collect(fx.rx.downloadPrefix(fx.bucket, 'bulk-flip/', out, { partSize: PART }))).slice(-1);
    expect(again!.ok && again!.val.kind === 'summary' && again!.val.ok).to.equal(true);
    expect((await readFile(join(out, 'c/flip-big.bin'))).equals(files['c/flip-big.bin'])).to.equal(true);
  });

  it('downloadFile leaves an existing destination untouched when the bytes do not verify', async () => {
    const source = join(dir.path, 'keep-src');
    await writeFile(source, bytes(5000, 7));
    await collect(fx.rx.uploadFile(fx.bucket, 'keep', source));
    const target = join(dir.path, 'keep-target');
    await writeFile(target, 'precious');
    const stub = flipGetBodies(fx.rx, 10);
    try {
      const [last] = (await collect(fx.rx.downloadFile(fx.bucket, 'keep', target))).slice(-1);
      expect(last!.err && last!.val.kind).to.equal('Integrity');
    } finally {
      stub.restore();
    }
    expect(await readFile(target, 'utf8')).to.equal('precious');
  });

  it('downloadStream: a flipped byte ends the stream with Err(Integrity) instead of complete', async () => {
    await collect(fx.rx.uploadStream(fx.bucket, 'stream-flip', Readable.from([bytes(50_000, 8)])));
    const stub = flipGetBodies(fx.rx, 49_999);
    let results;
    try {
      results = await collect(fx.rx.downloadStream(fx.bucket, 'stream-flip'));
    } finally {
      stub.restore();
    }
    const last = results[results.length - 1]!;
    expect(last.err && last.val.kind).to.equal('Integrity');
    expect(results.some((r) => r.ok && r.val.kind === 'complete')).to.equal(false);
    const [clean] = (await collect(fx.rx.downloadStream(fx.bucket, 'stream-flip'))).slice(-1);
    expect(clean!.ok && clean!.val.kind).to.equal('complete');
  });

  it('getObject: a flipped byte fails the body at its end ("Checksum mismatch", toS3Error: Integrity); ranges and integrity: false are not checked', async () => {
    const data = bytes(70_000, 15);
    await collect(fx.rx.putObject(fx.bucket, 'get-flip', data));
    const read = async (options = {}): Promise<Buffer | Error> => {
      const [got] = await collect(fx.rx.getObject(fx.bucket, 'get-flip', options));
      if (!got!.ok) throw new Error(got!.val.message);
      return buffer(got!.val.body).catch((e: Error) => e);
    };
    expect(((await read()) as Buffer).equals(data)).to.equal(true);
    const stub = flipGetBodies(fx.rx, 1234);
    try {
      const failed = await read();
      expect(failed).to.be.instanceOf(Error);
      expect(toS3Error(failed, { operation: 'getObject' }).kind).to.equal('Integrity');
      expect(((await read({ integrity: false })) as Buffer)[1234]).to.equal(data[1234]! ^ 0x01);
      expect(((await read({ range: { start: 0, end: 99 } })) as Buffer).length).to.equal(100);
    } finally {
      stub.restore();
    }
  });

  it('a byte flipped on the way up (a server that checks nothing stores it) is caught at download', async () => {
    const data = bytes(2 * PART + 100, 9);
    const source = join(dir.path, 'up-flip');
    await writeFile(source, data);
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      if (command instanceof UploadPartCommand && command.input.PartNumber === 2) {
        const body = Buffer.from(command.input.Body as Buffer);
        body[123] ^= 0x80;
        return send(new UploadPartCommand({ ...command.input, Body: body }), options);
      }
      return send(command, options);
    });
    try {
      const [up] = (await collect(fx.rx.uploadFile(fx.bucket, 'up-flip', source, { partSize: PART }))).slice(-1);
      expect(up!.ok, 'the server stored it').to.equal(true);
    } finally {
      stub.restore();
    }
    const [down] = (await collect(fx.rx.downloadFile(fx.bucket, 'up-flip', join(dir.path, 'up-flip-out')))).slice(-1);
    expect(down!.err && down!.val.kind).to.equal('Integrity');
    const [stream] = (await collect(fx.rx.downloadStream(fx.bucket, 'up-flip'))).slice(-1);
    expect(stream!.err && stream!.val.kind).to.equal('Integrity');
  });

  it('integrity: false on a download skips the check (the flipped byte gets through: off means off)', async () => {
    const data = bytes(4000, 10);
    await collect(fx.rx.uploadStream(fx.bucket, 'off', Readable.from([data])));
    const stub = flipGetBodies(fx.rx, 0);
    try {
      const [last] = (await collect(fx.rx.downloadFile(fx.bucket, 'off', join(dir.path, 'off-out'), { integrity: false }))).slice(-1);
      expect(last!.ok).to.equal(true);
    } finally {
      stub.restore();
    }
    expect((await readFile(join(dir.path, 'off-out')))[0]).to.equal(data[0]! ^ 0x01);
  });

  it('objects without a digest (written by other tools) download as before, with no read-back', async () => {
    const data = bytes(3000, 11);
    await fx.rx.client.send(new PutObjectCommand({ Bucket: fx.bucket, Key: 'foreign', Body: data }));
    const [last] = (await collect(fx.rx.downloadFile(fx.bucket, 'foreign', join(dir.path, 'foreign')))).slice(-1);
    expect(last!.ok).to.equal(true);
    expect((await readFile(join(dir.path, 'foreign'))).equals(data)).to.equal(true);
  });

  it("the SDK's own response-checksum failure is Err(Integrity)", () => {
    const error = toS3Error(new Error('Checksum mismatch: expected "AAAAAA==" but received "AQAAAA==" in response header "x-amz-checksum-crc32".'), { operation: 'getObject' });
    expect(error).to.include({ kind: 'Integrity', code: 'ChecksumMismatch' });
  });
});

describe('integrity with flexible checksums (the SDK default on AWS: WHEN_SUPPORTED)', () => {
  const fx = useBucket('checksums');
  const dir = useTempDir();
  let rx: RxS3;
  before(() => {
    rx = makeClient({ requestChecksumCalculation: 'WHEN_SUPPORTED' });
  });
  after(() => rx.destroy());

  it('declares CRC32 (full object) at Create, sends each part CRC32 and the whole at Complete, for the server to verify', async () => {
    const data = bytes(2 * PART + 1234, 12);
    const source = join(dir.path, 'flex');
    await writeFile(source, data);
    const spy = spySend(rx);
    let results;
    try {
      results = await collect(rx.uploadFile(fx.bucket, 'flex', source, { partSize: PART }));
    } finally {
      spy.restore();
    }
    expect(results[results.length - 1]!.ok).to.equal(true);
    const inputs = <T>(type: new (...args: never[]) => unknown): T[] =>
      spy.getCalls().map((c) => c.args[0] as { input: T }).filter((c) => c instanceof type).map((c) => c.input);
    const [create] = inputs<CreateMultipartUploadCommandInput>(CreateMultipartUploadCommand);
    expect(create).to.include({ ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' });
    expect(create!.Metadata).to.deep.equal({ 'rxs3-crc32': crc(data) });
    const parts = inputs<UploadPartCommandInput>(UploadPartCommand).sort((a, b) => a.PartNumber! - b.PartNumber!);
    expect(parts.map((p) => p.ChecksumCRC32)).to.deep.equal([
      crc(data.subarray(0, PART)), crc(data.subarray(PART, 2 * PART)), crc(data.subarray(2 * PART)),
    ]);
    const [complete] = inputs<CompleteMultipartUploadCommandInput>(CompleteMultipartUploadCommand);
    expect(complete).to.include({ ChecksumCRC32: crc(data), ChecksumType: 'FULL_OBJECT' });
    expect(complete!.MultipartUpload!.Parts!.map((p) => p.ChecksumCRC32)).to.deep.equal(parts.map((p) => p.ChecksumCRC32));
    // fauxqs 1.9.2 stores an EMPTY object, and answers 200, when Complete's parts carry checksums (measured):
    // the download must then be Err(Integrity), never a silently wrong file. A server that keeps the parts
    // (AWS, which also verifies the checksums) gives the bytes back.
    const [down] = (await collect(rx.downloadFile(fx.bucket, 'flex', join(dir.path, 'flex-out')))).slice(-1);
    if (down!.ok) expect((await readFile(join(dir.path, 'flex-out'))).equals(data)).to.equal(true);
    else expect(down!.val.kind).to.equal('Integrity');
  });

  it('a file that changes between its first reading and its parts is Err(Integrity), and nothing is stored', async () => {
    const source = join(dir.path, 'changing');
    await writeFile(source, bytes(2 * PART, 13));
    const stub = interceptSend(rx, async (command, options, send) => {
      if (command instanceof CreateMultipartUploadCommand) await writeFile(source, bytes(2 * PART, 14));
      return send(command, options);
    });
    let results;
    try {
      results = await collect(rx.uploadFile(fx.bucket, 'changing', source, { partSize: PART }));
    } finally {
      stub.restore();
    }
    const last = results[results.length - 1]!;
    expect(last.err && last.val.kind).to.equal('Integrity');
    const [head] = await collect(rx.getObjectMetadata(fx.bucket, 'changing'));
    expect(head!.err && head!.val.kind).to.equal('NoSuchKey');
  });
});

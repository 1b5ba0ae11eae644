import { expect } from 'chai';
import { LARGEST_PART, MAX_PARTS, MIN_PART_SIZE, partSizeFor } from '../../lib/internal/multipart';
import { PartBuffers } from '../../lib/internal/part-source';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('partSizeFor: never more than 10,000 parts', () => {
  it('keeps the requested size when it is enough', () => {
    expect(partSizeFor(1, 8 * MiB, 64 * MiB)).to.equal(8 * MiB);
    expect(partSizeFor(1, MIN_PART_SIZE, 10 * GiB)).to.equal(MIN_PART_SIZE);
  });

  it('grows it for large files, in whole MiB, so the parts fit in 10,000', () => {
    for (const size of [100 * GiB, 1024 * GiB, 5 * 1024 * GiB]) {
      const part = partSizeFor(1, 8 * MiB, size);
      expect(part % MiB).to.equal(0);
      expect(Math.ceil(size / part)).to.be.at.most(MAX_PARTS);
    }
  });

  it('never exceeds 5 GiB per part', () => {
    expect(partSizeFor(1, 8 * MiB, 100 * 1024 * GiB)).to.equal(LARGEST_PART);
  });

  it('for an unknown length, doubles every 1,000 parts, reaching terabytes within 10,000 parts', () => {
    expect(partSizeFor(1, 8 * MiB, undefined)).to.equal(8 * MiB);
    expect(partSizeFor(1000, 8 * MiB, undefined)).to.equal(8 * MiB);
    expect(partSizeFor(1001, 8 * MiB, undefined)).to.equal(16 * MiB);
    let total = 0;
    for (let n = 1; n <= MAX_PARTS; n += 1) total += partSizeFor(n, 8 * MiB, undefined);
    expect(total).to.be.greaterThan(5 * 1024 * GiB);
  });
});

describe('PartBuffers: part buffers are reused, and at most `keep` are kept', () => {
  it('hands a released buffer out again instead of allocating', () => {
    const buffers = new PartBuffers(2);
    const a = buffers.take(8);
    buffers.release(a);
    const b = buffers.take(5);
    expect(b.length).to.equal(5);
    expect(b.buffer).to.equal(a.buffer);
  });

  it('keeps the largest `keep` buffers', () => {
    const buffers = new PartBuffers(1);
    const small = buffers.take(4);
    const large = buffers.take(16);
    buffers.release(small);
    buffers.release(large);
    expect(buffers.take(10).buffer).to.equal(large.buffer);
    expect(buffers.take(4).buffer).to.not.equal(small.buffer);
  });
});

import { ListObjectsV2Command, type ListObjectsV2CommandInput } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { from, lastValueFrom, mergeMap, toArray } from 'rxjs';
import { parseListObjectsV2, useFastListParser } from '../../lib/internal/list-xml';
import { useBucket } from '../support/fixtures';

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

describe('listing answers: the fast ListObjectsV2 parser', () => {
  describe('pure', () => {
    it('reads every field into the SDK output shape, decoding entities', () => {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult ${NS}><Name>b</Name><Prefix>a&amp;b/</Prefix><Delimiter>/</Delimiter>
        <MaxKeys>2</MaxKeys><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>t&#43;1</NextContinuationToken>
        <Contents><Key>a&amp;b/&lt;x&gt; &quot;q&quot; &apos;s&apos; &#13;&#x1F600; é</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>
          <ETag>&quot;abc&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>
          <Size>12</Size><Owner><ID>id</ID><DisplayName>me</DisplayName></Owner><StorageClass>GLACIER</StorageClass>
          <RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress><RestoreExpiryDate>2026-02-01T00:00:00.000Z</RestoreExpiryDate></RestoreStatus></Contents>
        <CommonPrefixes><Prefix>a&amp;b/sub/</Prefix></CommonPrefixes></ListBucketResult>`;
      expect(parseListObjectsV2(xml)).to.deep.equal({
        Name: 'b', Prefix: 'a&b/', Delimiter: '/', MaxKeys: 2, KeyCount: 2, IsTruncated: true, NextContinuationToken: 't+1',
        Contents: [{
          Key: 'a&b/<x> "q" \'s\' \r😀 é', LastModified: new Date('2026-01-02T03:04:05.000Z'), ETag: '"abc"', ChecksumAlgorithm: ['CRC32', 'SHA256'],
          ChecksumType: 'FULL_OBJECT', Size: 12, Owner: { ID: 'id', DisplayName: 'me' }, StorageClass: 'GLACIER',
          RestoreStatus: { IsRestoreInProgress: false, RestoreExpiryDate: new Date('2026-02-01T00:00:00.000Z') },
        }],
        CommonPrefixes: [{ Prefix: 'a&b/sub/' }],
      });
      expect(parseListObjectsV2(`<ListBucketResult ${NS}><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount><Prefix/></ListBucketResult>`))
        .to.deep.equal({ IsTruncated: false, KeyCount: 0, Prefix: '' });
    });

    it('steps aside (undefined) for anything it does not know: EncodingType, CDATA, comments, new elements, attributes', () => {
      for (const inner of [
        '<EncodingType>url</EncodingType>',
        '<Contents><Key><![CDATA[a]]></Key></Contents>',
        '<!-- hi --><KeyCount>0</KeyCount>',
        '<Contents><Key>a</Key><NewField>1</NewField></Contents>',
        '<Contents><Key kind="x">a</Key></Contents>',
        '<Contents><Size>many</Size></Contents>',
        '<IsTruncated>maybe</IsTruncated>',
        'text<KeyCount>0</KeyCount>',
      ]) expect(parseListObjectsV2(`<ListBucketResult ${NS}>${inner}</ListBucketResult>`), inner).to.equal(undefined);
      expect(parseListObjectsV2('<Error><Code>NoSuchBucket</Code></Error>')).to.equal(undefined);
    });
  });

  describe('on the server', () => {
    const fx = useBucket('list-xml');
    const keys = ['plain', 'a&b', 'less<more>', 'quote"apos\'', 'tab\tkey', 'é/ü/😀', 'dir/x', 'dir/y', 'dir/sub/z', 'sp ace'];

    before(async () => {
      const puts = await lastValueFrom(from(keys).pipe(mergeMap((key) => fx.rx.putObject(fx.bucket, key, key), 8), toArray()));
      expect(puts.every((r) => r.ok)).to.equal(true);
    });

    it("gives exactly the SDK's own output (minus $metadata) for the same requests", async () => {
      const inputs: ListObjectsV2CommandInput[] = [
        { Bucket: fx.bucket },
        { Bucket: fx.bucket, MaxKeys: 3 },
        { Bucket: fx.bucket, Delimiter: '/' },
        { Bucket: fx.bucket, Prefix: 'dir/', Delimiter: '/', StartAfter: 'dir/x' },
        { Bucket: fx.bucket, Prefix: 'nothing/' },
      ];
      for (const input of inputs) {
        const { $metadata: m1, ...sdk } = await fx.rx.client.send(new ListObjectsV2Command(input));
        const { $metadata: m2, ...fast } = await fx.rx.client.send(useFastListParser(new ListObjectsV2Command(input)));
        expect(fast, JSON.stringify(input)).to.deep.equal(sdk);
        expect(m2.httpStatusCode).to.equal(m1.httpStatusCode);
      }
    });

    it("errors still go through the SDK's error mapping", async () => {
      const error = await fx.rx.client.send(useFastListParser(new ListObjectsV2Command({ Bucket: 'rxs3-no-such-bucket-xml' }))).then(() => undefined, (e: unknown) => e);
      expect((error as { name?: string }).name).to.equal('NoSuchBucket');
    });
  });
});

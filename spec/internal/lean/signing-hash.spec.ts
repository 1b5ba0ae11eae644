import { randomBytes } from 'node:crypto';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'chai';
import { SigningSha256 } from '../../../lib/internal/lean/signing-hash';

describe('lean: SigningSha256 (the hash under the lean path\'s SignatureV4)', () => {
  const signer = (sha256: typeof Sha256 | typeof SigningSha256, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): SignatureV4 =>
    new SignatureV4({ credentials, region: 'eu-west-3', service: 's3', sha256, uriEscapePath: false, applyChecksum: false });

  it('signs exactly as the SDK\'s own hash does, through credential changes back and forth (the memo never answers for other credentials)', async () => {
    const credentials = Array.from({ length: 3 }, (_, i) => ({
      accessKeyId: `AKID${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      ...(i === 2 ? { sessionToken: randomBytes(40).toString('base64') } : {}),
    }));
    // The same access key id with another secret: only the key of the memoised HMAC differs.
    credentials.push({ accessKeyId: credentials[0]!.accessKeyId, secretAccessKey: randomBytes(30).toString('base64') });
    for (let i = 0; i < 60; i++) {
      const creds = credentials[i % credentials.length]!;
      const request = {
        method: i % 2 === 0 ? 'PUT' : 'HEAD',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 9000,
        path: `/bucket/${encodeURIComponent(randomBytes(1 + (i % 9)).toString('base64'))}`,
        query: (i % 3 === 0 ? { partNumber: String(i), uploadId: randomBytes(6).toString('hex') } : {}) as Record<string, string>,
        headers: { host: '127.0.0.1:9000', 'x-amz-content-sha256': randomBytes(32).toString('hex'), 'x-amz-meta-n': String(i) },
      };
      const signingDate = new Date(Date.UTC(2026, 0, 1 + (i % 5), i % 24));
      const [ours, sdks] = await Promise.all([
        signer(SigningSha256, creds).sign(structuredClone(request), { signingDate }),
        signer(Sha256, creds).sign(structuredClone(request), { signingDate }),
      ]);
      expect(ours.headers.authorization, `request ${i}`).to.equal(sdks.headers.authorization);
    }
  });

  it('hashes and HMACs like node:crypto, whatever the shape of the input (strings, views, buffers, several updates)', async () => {
    const plain = new SigningSha256();
    plain.update('ab');
    plain.update(new Uint8Array([99]));
    expect(Buffer.from(await plain.digest()).toString('hex')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // sha256('abc')
    const keyed = new SigningSha256(new Uint8Array(Buffer.from('key')));
    keyed.update(Buffer.from('The quick brown fox jumps over the lazy dog'));
    expect(Buffer.from(await keyed.digest()).toString('hex')).to.equal('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    keyed.reset();
    keyed.update('The quick brown fox jumps over the lazy dog');
    expect(Buffer.from(await keyed.digest()).toString('hex')).to.equal('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });
});

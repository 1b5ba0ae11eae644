import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'chai';
import fc from 'fast-check';
import { signV4, type SigV4Credentials } from '../../../lib/internal/lean/sigv4';

/** The SDK's signer as the lean path would configure it for S3 (paths signed as sent, no payload hash added). */
const sdkSign = async (request: { method: string; path: string; query: Record<string, string>; headers: Record<string, string> }, credentials: SigV4Credentials, region: string, date: Date): Promise<Record<string, string>> => {
  const signer = new SignatureV4({ credentials, region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const signed = await signer.sign({ ...request, protocol: 'http:', hostname: '127.0.0.1', query: { ...request.query }, headers: { ...request.headers } }, { signingDate: date });
  return signed.headers as Record<string, string>;
};

const headerName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/).filter((n) => n.toLowerCase() !== '__proto__' && n.toLowerCase() !== 'host');
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e\t]{0,40}$/),
  fc.constantFrom('  two  spaces  ', '\ttab\tand  space ', '', ' ', 'UNSIGNED-PAYLOAD'),
);
const text = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0', ' ', '/', '+', '=', '&', '%', '~', '*', "'", '(', ')', '!', 'é', '日', '😀', '-', '_', '.'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })), maxLength: 16 });
const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'DELETE'),
  segments: fc.array(text, { minLength: 1, maxLength: 4 }),
  query: fc.dictionary(text.filter((k) => k !== '__proto__'), text, { maxKeys: 5 }),
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 8 }),
  duplicates: fc.boolean(), // names equal but for case: which one the canonical form keeps
  sha: fc.option(fc.constantFrom('UNSIGNED-PAYLOAD', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'ab'.repeat(32)), { nil: undefined }),
});
const credentials = fc.record({
  accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,40}$/),
  secretAccessKey: fc.string({ minLength: 1, maxLength: 48 }),
  sessionToken: fc.option(fc.base64String({ minLength: 4, maxLength: 80 }), { nil: undefined }),
});

describe('lean: signV4, the lean path\'s SigV4 (byte for byte the SDK\'s SignatureV4)', () => {
  it('signs generated requests (methods, encoded paths, hostile query names and values, headers in any case with odd spaces, session tokens, dates) exactly as SignatureV4 does', async () => {
    await fc.assert(
      fc.asyncProperty(request, credentials, fc.constantFrom('us-east-1', 'eu-west-3', 'ap-southeast-2'), fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true }), async (r, creds, region, date) => {
        const headers: Record<string, string> = { host: '127.0.0.1:9000', ...r.headers };
        if (r.sha !== undefined) headers['x-amz-content-sha256'] = r.sha;
        if (r.duplicates) Object.assign(headers, { 'X-Dup': ' upper ', 'x-dup': 'lower', 'X-AMZ-DATE': 'given, replaced' });
        const input = { method: r.method, path: `/bucket/${r.segments.map(encodeURIComponent).join('/')}`, query: r.query, headers };
        const ours = signV4(input, creds, region, 's3', date);
        const sdks = await sdkSign(input, creds, region, date);
        expect({ ...ours }).to.deep.equal(sdks);
      }),
      { numRuns: 2_000 },
    );
  });

  it('the kept signing key never answers for other credentials, regions or days', async () => {
    const a = { accessKeyId: 'AKIDAAAAAAAAAAAAAAAA', secretAccessKey: 'secret-a' };
    const sameIdOtherSecret = { accessKeyId: a.accessKeyId, secretAccessKey: 'secret-b' };
    const input = { method: 'HEAD', path: '/bucket/key', query: {}, headers: { host: '127.0.0.1:9000' } };
    const day = new Date('2026-12-02T03:00:00Z');
    const nextDay = new Date('2026-12-03T00:00:01Z');
    for (const [creds, region, date] of [[a, 'us-east-1', day], [sameIdOtherSecret, 'us-east-1', day], [a, 'eu-west-3', day], [a, 'eu-west-3', nextDay], [a, 'us-east-1', day]] as const) {
      expect(signV4(input, creds, region, 's3', date).authorization).to.equal((await sdkSign(input, creds, region, date)).authorization);
    }
  });

  it('refuses credentials that are not strings, as SignatureV4 does', () => {
    expect(() => signV4({ method: 'GET', path: '/', query: {}, headers: {} }, { accessKeyId: 'A' } as SigV4Credentials, 'us-east-1', 's3', new Date())).to.throw('Resolved credential object is not valid');
  });
});

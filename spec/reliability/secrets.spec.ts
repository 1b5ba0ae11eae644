import { PassThrough, Readable } from 'node:stream';
import { expect } from 'chai';
import sinon from 'sinon';
import { redactSecrets, toS3Error } from '../../lib';
import { main } from '../../lib/cli/main';
import { cliEnv } from '../cli/support';
import { collect, useBucket } from '../support/fixtures';
import { makeClient, server } from '../support/server';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/h9intSpecSecretKEY';
const TOKEN = 'FwoGZXIvYXdzEBYaDH9intSessionToken0123456789abcdefSPEC';

interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/**
 * Every request is answered, without reaching the server, the way AWS answers a bad signature: 403
 * SignatureDoesNotMatch, echoing the signature provided, the string to sign and the canonical request, and (as
 * some servers do) a message that quotes them. Records the signatures the client sent.
 */
function answerSignatureMismatch(handlerPrototype: object): { signatures: string[]; restore: () => void } {
  const signatures: string[] = [];
  const stub = sinon.stub(handlerPrototype as { handle: (r: WireRequest) => Promise<unknown> }, 'handle').callsFake(async (request: WireRequest) => {
    const signature = /Signature=([0-9a-f]+)/.exec(request.headers.authorization ?? '')?.[1] ?? 'none';
    signatures.push(signature);
    const canonical = `${request.method}\n${request.path}\nX-Amz-Signature=${signature}\nx-amz-security-token:${TOKEN}`;
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
      `<Message>The request signature we calculated does not match the signature you provided (Signature=${signature}). Check your key and signing method.</Message>` +
      `<AWSAccessKeyId>AKIDH9INT</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20261201T000000Z\n${signature}</StringToSign>` +
      `<SignatureProvided>${signature}</SignatureProvided><CanonicalRequest>${canonical}</CanonicalRequest><RequestId>r1</RequestId></Error>`;
    return { response: { statusCode: 403, reason: 'Forbidden', headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from(body)]) } };
  });
  return { signatures, restore: () => stub.restore() };
}

const leaks = (text: string, signatures: readonly string[]): string[] =>
  [SECRET, TOKEN, ...signatures.filter((s) => s !== 'none')].filter((secret) => text.includes(secret));

describe('secrets never reach Err messages, --json output or CLI errors', () => {
  const fx = useBucket('secrets');

  it('a SignatureDoesNotMatch answer that echoes the signature: the Err message and its JSON carry none of it', async () => {
    const rx = makeClient({ credentials: { accessKeyId: 'AKIDH9INT', secretAccessKey: SECRET, sessionToken: TOKEN }, maxAttempts: 1 });
    const fault = answerSignatureMismatch(Object.getPrototypeOf(rx.client.config.requestHandler) as object);
    try {
      const results = [
        ...(await collect(rx.getObjectMetadata(fx.bucket, 'k'))),
        ...(await collect(rx.putObject(fx.bucket, 'k', 'v'))),
        ...(await collect(rx.listObjects(fx.bucket))),
      ];
      expect(fault.signatures.filter((s) => s !== 'none')).to.have.length.greaterThan(0);
      for (const r of results) {
        if (r.ok) expect.fail('a forged 403 must be an Err');
        expect(r.val.kind).to.equal('AccessDenied');
        const { cause: _cause, ...plain } = r.val;
        expect(leaks(r.val.message, fault.signatures), 'message').to.deep.equal([]);
        expect(leaks(JSON.stringify(plain), fault.signatures), 'JSON').to.deep.equal([]);
      }
    } finally {
      fault.restore();
      rx.destroy();
    }
  });

  it('the CLI (human and --json) prints neither the secret, the session token nor a signature', async () => {
    const env = cliEnv({ AWS_ACCESS_KEY_ID: 'AKIDH9INT', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN });
    const probe = makeClient();
    const fault = answerSignatureMismatch(Object.getPrototypeOf(probe.client.config.requestHandler) as object);
    probe.destroy();
    const outputs: string[] = [];
    const saved = process.env;
    process.env = env;
    try {
      for (const args of [['ls', `s3://${fx.bucket}`], ['ls', `s3://${fx.bucket}`, '--json'], ['stat', `s3://${fx.bucket}/k`, '--json'], ['cp', `s3://${fx.bucket}/k`, '-']]) {
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        const chunks: Buffer[] = [];
        stdout.on('data', (c: Buffer) => chunks.push(c));
        stderr.on('data', (c: Buffer) => chunks.push(c));
        const code = await main(args, { stdin: new PassThrough(), stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream, env });
        expect(code, args.join(' ')).to.equal(1);
        outputs.push(Buffer.concat(chunks).toString());
      }
    } finally {
      process.env = saved;
      fault.restore();
    }
    expect(fault.signatures.filter((s) => s !== 'none')).to.have.length.greaterThan(0);
    for (const output of outputs) {
      expect(output).to.match(/AccessDenied/);
      expect(leaks(output, fault.signatures), output).to.deep.equal([]);
    }
  });

  it('a presigned URL quoted in a failure keeps its address but loses its signature and token', () => {
    const url = `${server().endpoint}/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDH9INT%2F20261201%2Fus-east-1%2Fs3%2Faws4_request` +
      `&X-Amz-Date=20261201T000000Z&X-Amz-Expires=600&X-Amz-Security-Token=${TOKEN}&X-Amz-Signature=0123456789abcdef0123456789abcdef&X-Amz-SignedHeaders=host`;
    const error = toS3Error(new Error(`fetch failed: GET ${url}`), { operation: 'fetch' });
    expect(error.message).to.include('/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(error.message).to.include('X-Amz-Signature=[redacted]');
    expect(error.message).to.not.include('0123456789abcdef0123456789abcdef');
    expect(error.message).to.not.include(TOKEN);
    expect(redactSecrets('http://user:pa55word@host:9000/x')).to.equal('http://user:[redacted]@host:9000/x');
  });
});

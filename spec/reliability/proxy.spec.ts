import { S3Client } from '@aws-sdk/client-s3';
import { createServer as createHttpServer } from 'node:http';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { expect } from 'chai';
import { text } from 'node:stream/consumers';
import { lastValueFrom, type Observable } from 'rxjs';
import { selfSignedCertificate } from '../../bench/lib/env';
import { clientConfig, RxS3, type RxS3Options, type S3Error } from '../../lib';
import { expectOneErr } from '../faults/support';
import { closedPort, ForwardProxy } from '../support/forward-proxy';
import { SocksProxy } from '../support/socks-proxy';
import { bytes, collect, useBucket, useTempDir } from '../support/fixtures';
import { makeClient, rxOptions, server } from '../support/server';

const MiB = 1024 * 1024;

/** The environment variables a spec sets; each is restored (or deleted) after `run`. */
async function withEnv<T>(values: Readonly<Record<string, string | undefined>>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (next: Readonly<Record<string, string | undefined>>): void => {
    for (const [name, value] of Object.entries(next)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  try {
    return await run();
  } finally {
    apply(saved);
  }
}

/** Every proxy variable unset (the machine's own must not leak into a spec), then `values`. */
const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'] as const;
function proxyEnv(values: Readonly<Record<string, string>>): Record<string, string | undefined> {
  return { ...Object.fromEntries(PROXY_VARS.map((name) => [name, undefined])), ...values };
}

/** Waits until `check` holds (polling), or fails after `ms`. */
async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The port of the suite's S3 server. */
function serverPort(): number {
  return Number(new URL(server().endpoint).port);
}

/**
 * A TLS terminator on 127.0.0.1 in front of the suite's S3 server, with a fresh self-signed certificate (made by
 * openssl, as the benchmarks' TLS sink does): an https endpoint for specs. `cert` is the PEM to trust.
 */
async function tlsEndpoint(): Promise<{ endpoint: string; port: number; cert: Buffer; certFile: string; connections(): number; stop(): Promise<void> }> {
  const files = selfSignedCertificate();
  const cert = readFileSync(files.cert);
  const key = readFileSync(files.key);
  let connections = 0;
  const open = new Set<Socket>();
  const terminator: TlsServer = createTlsServer({ cert, key }, (socket) => {
    connections += 1;
    const upstream = connect(serverPort(), '127.0.0.1');
    for (const s of [socket, upstream]) {
      open.add(s);
      s.on('error', () => undefined);
      s.once('close', () => open.delete(s));
    }
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.once('close', () => upstream.destroy());
    upstream.once('close', () => socket.destroy());
  });
  terminator.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', resolve));
  const { port } = terminator.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    port,
    cert,
    certFile: files.cert,
    connections: () => connections,
    stop: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => terminator.close(() => resolve()));
      await rm(dirname(files.cert), { recursive: true, force: true });
    },
  };
}

type AnyResult = { readonly ok: boolean; readonly err: boolean; readonly val: unknown };

function expectOk(results: readonly AnyResult[]): void {
  const errs = results.filter((r) => r.err).map((r) => `${(r.val as S3Error).kind}: ${(r.val as S3Error).message}`);
  expect(errs).to.deep.equal([]);
  expect(results.length).to.be.greaterThan(0);
}

describe('proxies and custom CAs', function () {
  this.timeout(30_000);
  const fx = useBucket('proxy');
  const tmp = useTempDir();
  const clients: RxS3[] = [];
  const client = (overrides: RxS3Options): RxS3 => {
    const rx = makeClient(overrides);
    clients.push(rx);
    return rx;
  };
  afterEach(() => {
    for (const rx of clients.splice(0)) rx.destroy();
  });

  describe('over http: absolute-form requests to the proxy', () => {
    let proxy: ForwardProxy;
    /** An endpoint port where nothing listens: the proxy maps it to the real server, so only proxied requests succeed. */
    let hidden: number;
    before(async () => {
      hidden = await closedPort();
      proxy = await ForwardProxy.start({ portMap: { [hidden]: serverPort() } });
    });
    afterEach(() => proxy.reset());
    after(() => proxy.stop());
    const hiddenEndpoint = (): string => `http://127.0.0.1:${hidden}`;

    it('putObject, getObjectMetadata, getObject and listObjects go through the proxy (a direct connection is refused)', async () => {
      const rx = client({ endpoint: hiddenEndpoint(), proxy: proxy.url() });
      expectOk(await collect(rx.putObject(fx.bucket, 'small.txt', 'hello proxy')));
      const head = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'small.txt'));
      expect(head.ok && head.val.contentLength).to.equal(11);
      const got = await lastValueFrom(rx.getObject(fx.bucket, 'small.txt'));
      expect(got.ok).to.equal(true);
      if (got.ok) expect(await text(got.val.body)).to.equal('hello proxy');
      const page = await lastValueFrom(rx.listObjects(fx.bucket));
      expect(page.ok && page.val.objects.map((o) => o.key)).to.deep.equal(['small.txt']);
      const seen = proxy.forwarded.map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}`);
      const object = `${hiddenEndpoint()}/${fx.bucket}/small.txt`;
      expect(seen).to.include.members([`PUT ${object}`, `HEAD ${object}`, `GET ${object}`, `GET ${hiddenEndpoint()}/${fx.bucket}/`]);
      expect(proxy.forwarded.every((r) => r.url.startsWith(`${hiddenEndpoint()}/`))).to.equal(true);
      expect(proxy.tunnels).to.deep.equal([]);
      // Kept alive: far fewer connections than requests.
      expect(proxy.accepted).to.be.at.most(2);
    });

    it('uploadFile (multipart) and downloadFile (ranged GETs) go through the proxy, byte for byte', async () => {
      const rx = client({ endpoint: hiddenEndpoint(), proxy: proxy.url() });
      const data = bytes(11 * MiB + 3, 7);
      const source = join(tmp.path, 'big.bin');
      const target = join(tmp.path, 'big.copy');
      await writeFile(source, data);
      expectOk(await collect(rx.uploadFile(fx.bucket, 'big.bin', source, { partSize: 5 * MiB })));
      expectOk(await collect(rx.downloadFile(fx.bucket, 'big.bin', target, { partSize: 5 * MiB })));
      expect((await readFile(target)).equals(data)).to.equal(true);
      const parts = proxy.forwarded.filter((r) => r.method === 'PUT' && /partNumber=/.test(r.url));
      const ranges = proxy.forwarded.filter((r) => r.method === 'GET' && r.headers.range !== undefined);
      expect(parts).to.have.length(3);
      expect(ranges.length).to.be.at.least(3);
      expect(proxy.forwarded.some((r) => r.method === 'POST' && /uploads/.test(r.url))).to.equal(true);
    });

    it('on the SDK path, a body of 2 MiB or more (Expect: 100-continue, headers rendered early) still goes in absolute form', async () => {
      const rx = client({ endpoint: hiddenEndpoint(), proxy: proxy.url(), dataPlane: 'sdk' });
      const results = await collect(rx.putObject(fx.bucket, 'expect.bin', bytes(3 * MiB, 3)));
      expectOk(results);
      const put = proxy.forwarded.find((r) => r.method === 'PUT');
      expect(put?.url.replace(/\?.*/, '')).to.equal(`${hiddenEndpoint()}/${fx.bucket}/expect.bin`);
      expect(put?.headers.expect).to.equal('100-continue');
      const head = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'expect.bin'));
      expect(head.ok && head.val.contentLength).to.equal(3 * MiB);
    });

    it('user:password in the proxy URL is sent as Proxy-Authorization (Basic); a wrong one is one Err(AccessDenied) naming the 407', async () => {
      const guarded = await ForwardProxy.start({ auth: 'alice:s3 cret', portMap: { [hidden]: serverPort() } });
      try {
        const rx = client({ endpoint: hiddenEndpoint(), proxy: guarded.url('alice:s3%20cret') });
        expectOk(await collect(rx.putObject(fx.bucket, 'auth.txt', 'ok')));
        expect(guarded.forwarded[0]?.headers['proxy-authorization']).to.equal(`Basic ${Buffer.from('alice:s3 cret').toString('base64')}`);
        const wrong = client({ endpoint: hiddenEndpoint(), proxy: guarded.url('alice:nope') });
        const error = expectOneErr(await collect(wrong.getObjectMetadata(fx.bucket, 'auth.txt')), 'AccessDenied');
        expect(error.status).to.equal(407);
        expect(error.message).to.match(/407/).and.match(/user and password/);
        const none = client({ endpoint: hiddenEndpoint(), proxy: guarded.url() });
        expectOneErr(await collect(none.putObject(fx.bucket, 'auth2.txt', 'no')), 'AccessDenied');
      } finally {
        await guarded.stop();
      }
    });

    it('HTTP_PROXY sends an http endpoint through the proxy; HTTPS_PROXY alone does not; proxy: false ignores both', async () => {
      await withEnv(proxyEnv({ HTTP_PROXY: proxy.url() }), async () => {
        const rx = client({ endpoint: hiddenEndpoint() });
        expectOk(await collect(rx.putObject(fx.bucket, 'env.txt', 'from the environment')));
        expect(proxy.forwarded.map((r) => r.method)).to.deep.equal(['PUT']);
      });
      proxy.reset();
      await withEnv(proxyEnv({ HTTPS_PROXY: proxy.url(), http_proxy: '' }), async () => {
        const rx = client({ endpoint: server().endpoint });
        expectOk(await collect(rx.getObjectMetadata(fx.bucket, 'env.txt')));
        expect(proxy.accepted).to.equal(0);
      });
      await withEnv(proxyEnv({ HTTP_PROXY: proxy.url() }), async () => {
        const rx = client({ endpoint: server().endpoint, proxy: false });
        expectOk(await collect(rx.getObjectMetadata(fx.bucket, 'env.txt')));
        expect(proxy.accepted).to.equal(0);
      });
    });

    it('NO_PROXY (host, host:port, CIDR) sends the endpoint direct; an entry for another port does not', async () => {
      for (const noProxy of ['127.0.0.1', `example.com, 127.0.0.1:${serverPort()}`, '127.0.0.0/8', '*']) {
        await withEnv(proxyEnv({ http_proxy: proxy.url(), NO_PROXY: noProxy }), async () => {
          const rx = client({ endpoint: server().endpoint });
          expectOk(await collect(rx.putObject(fx.bucket, 'direct.txt', noProxy)));
          const got = await lastValueFrom(rx.getObject(fx.bucket, 'direct.txt'));
          expect(got.ok && (await text(got.val.body))).to.equal(noProxy);
        });
        expect(proxy.accepted, noProxy).to.equal(0);
      }
      await withEnv(proxyEnv({ http_proxy: proxy.url(), no_proxy: '127.0.0.1:1,localhost' }), async () => {
        const rx = client({ endpoint: hiddenEndpoint() });
        expectOk(await collect(rx.getObjectMetadata(fx.bucket, 'direct.txt')));
      });
      expect(proxy.forwarded.map((r) => r.method)).to.deep.equal(['HEAD']);
    });

    it("a profile's role (STS AssumeRole) is fetched through the proxy too, and the data plane signs with the role's credentials", async () => {
      // STS is not S3: a stub answers AssumeRole, behind a port reachable only through the proxy (as S3 is here).
      const stsCalls: string[] = [];
      const sts = createHttpServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => {
          stsCalls.push(body);
          const expiration = new Date(Date.now() + 3_600_000).toISOString();
          res.writeHead(200, { 'content-type': 'text/xml' }).end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLESPEC</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-token</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/spec/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>`);
        });
      });
      await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
      const stsHidden = await closedPort();
      const roles = await ForwardProxy.start({ portMap: { [hidden]: serverPort(), [stsHidden]: (sts.address() as AddressInfo).port } });
      const config = join(tmp.path, 'aws-config');
      const credentials = join(tmp.path, 'aws-credentials');
      await writeFile(config, '[profile base]\nregion = us-east-1\n[profile spec-role]\nrole_arn = arn:aws:iam::123456789012:role/spec\nsource_profile = base\nregion = us-east-1\n');
      await writeFile(credentials, '[base]\naws_access_key_id = AKIABASESPEC\naws_secret_access_key = base-secret\n');
      try {
        await withEnv({
          ...proxyEnv({}),
          AWS_CONFIG_FILE: config,
          AWS_SHARED_CREDENTIALS_FILE: credentials,
          AWS_PROFILE: 'spec-role',
          AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${stsHidden}`,
          AWS_ACCESS_KEY_ID: undefined,
          AWS_SECRET_ACCESS_KEY: undefined,
          AWS_SESSION_TOKEN: undefined,
        }, async () => {
          const rx = client({ endpoint: hiddenEndpoint(), proxy: roles.url(), credentials: undefined });
          // The answer is the server's (the embedded one takes any key; a real one refuses the stub's): what matters is how it was sent.
          await collect(rx.getObjectMetadata(fx.bucket, 'role.txt'));
        });
        expect(stsCalls).to.have.length(1);
        expect(stsCalls[0]).to.match(/Action=AssumeRole&.*RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fspec/);
        expect(roles.forwarded.map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}`)).to.include.members([`POST http://127.0.0.1:${stsHidden}/`, `HEAD ${hiddenEndpoint()}/${fx.bucket}/role.txt`]);
        const head = roles.forwarded.find((r) => r.method === 'HEAD')!;
        expect(head.headers.authorization).to.match(/^AWS4-HMAC-SHA256 Credential=ASIAROLESPEC\//);
        expect(head.headers['x-amz-security-token']).to.equal('role-token');
      } finally {
        await roles.stop();
        await new Promise((resolve) => sts.close(resolve));
      }
    });

    it('a proxy that never answers is an idle Timeout per attempt, then one Err(Timeout)', async () => {
      const silent = await ForwardProxy.start({ silent: true });
      try {
        const rx = client({ endpoint: hiddenEndpoint(), proxy: silent.url(), timeouts: { connectMs: 1_000, idleMs: 300 }, maxAttempts: 2 });
        const started = Date.now();
        expectOneErr(await collect(rx.getObjectMetadata(fx.bucket, 'k')), 'Timeout');
        expect(Date.now() - started).to.be.below(5_000);
        expect(silent.accepted).to.equal(2);
      } finally {
        await silent.stop();
      }
    });
  });

  describe('over https: a CONNECT tunnel, TLS to the endpoint inside it', () => {
    let proxy: ForwardProxy;
    let tls: Awaited<ReturnType<typeof tlsEndpoint>>;
    before(async () => {
      tls = await tlsEndpoint();
      proxy = await ForwardProxy.start();
    });
    afterEach(() => proxy.reset());
    after(async () => {
      await proxy.stop();
      await tls.stop();
    });

    it('with `ca` trusting the endpoint: put, head, get, list, uploadFile and downloadFile through kept-alive tunnels', async () => {
      const rx = client({ endpoint: tls.endpoint, proxy: proxy.url(), ca: tls.cert });
      expectOk(await collect(rx.putObject(fx.bucket, 'tls.txt', 'over TLS')));
      const head = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'tls.txt'));
      expect(head.ok && head.val.contentLength).to.equal(8);
      const got = await lastValueFrom(rx.getObject(fx.bucket, 'tls.txt'));
      expect(got.ok && (await text(got.val.body))).to.equal('over TLS');
      const page = await lastValueFrom(rx.listObjects(fx.bucket, { prefix: 'tls' }));
      expect(page.ok && page.val.objects.map((o) => o.key)).to.deep.equal(['tls.txt']);
      const data = bytes(11 * MiB, 5);
      const source = join(tmp.path, 'tls.bin');
      const target = join(tmp.path, 'tls.copy');
      await writeFile(source, data);
      expectOk(await collect(rx.uploadFile(fx.bucket, 'tls.bin', source, { partSize: 5 * MiB })));
      expectOk(await collect(rx.downloadFile(fx.bucket, 'tls.bin', target, { partSize: 5 * MiB })));
      expect((await readFile(target)).equals(data)).to.equal(true);
      expect(proxy.forwarded).to.deep.equal([]);
      expect(proxy.tunnels.length).to.be.greaterThan(0);
      expect(proxy.tunnels.every((t) => t.target === `127.0.0.1:${tls.port}`)).to.equal(true);
      // One tunnel per connection, reused: fewer than the requests sent (4 small ones, 5 for the upload, 3+ ranges).
      expect(proxy.tunnels.length).to.be.below(10);
      expect(tls.connections()).to.equal(proxy.tunnels.length);
      rx.destroy();
      await eventually(() => proxy.openConnections === 0, 2_000, 'the tunnels closed after destroy');
    });

    it('without `ca` (nor AWS_CA_BUNDLE) the self-signed certificate is refused: one Err, nothing stored', async () => {
      await withEnv({ AWS_CA_BUNDLE: undefined }, async () => {
        const rx = client({ endpoint: tls.endpoint, proxy: proxy.url(), maxAttempts: 1 });
        const results = await collect(rx.putObject(fx.bucket, 'untrusted.txt', 'no'));
        expect(results).to.have.length(1);
        expect(results[0]!.err).to.equal(true);
        expect((results[0]!.val as S3Error).message).to.match(/certificate/);
      });
      expect(proxy.tunnels.length).to.be.greaterThan(0);
      const direct = await lastValueFrom(makeClient().getObjectMetadata(fx.bucket, 'untrusted.txt'));
      expect(direct.err && direct.val.kind).to.equal('NoSuchKey');
    });

    it('AWS_CA_BUNDLE is read when `ca` is left out; HTTPS_PROXY picks the proxy', async () => {
      await withEnv({ ...proxyEnv({ HTTPS_PROXY: proxy.url() }), AWS_CA_BUNDLE: tls.certFile }, async () => {
        const rx = client({ endpoint: tls.endpoint });
        expectOk(await collect(rx.putObject(fx.bucket, 'bundle.txt', 'trusted by AWS_CA_BUNDLE')));
      });
      expect(proxy.tunnels.map((t) => t.target)).to.deep.equal([`127.0.0.1:${tls.port}`]);
    });

    it('CONNECT carries Proxy-Authorization; a 407 to it is one Err(AccessDenied), not retried', async () => {
      const guarded = await ForwardProxy.start({ auth: 'bob:pw' });
      try {
        const rx = client({ endpoint: tls.endpoint, proxy: guarded.url('bob:pw'), ca: tls.cert.toString('utf8') }); // PEM text
        expectOk(await collect(rx.putObject(fx.bucket, 'tunnel-auth.txt', 'ok')));
        expect(guarded.tunnels[0]?.headers['proxy-authorization']).to.equal(`Basic ${Buffer.from('bob:pw').toString('base64')}`);
        guarded.reset();
        const wrong = client({ endpoint: tls.endpoint, proxy: guarded.url('bob:wrong'), ca: tls.cert });
        const error = expectOneErr(await collect(wrong.getObjectMetadata(fx.bucket, 'tunnel-auth.txt')), 'AccessDenied');
        expect(error.message).to.match(/proxy http:\/\/127\.0\.0\.1:\d+ answered 407/).and.match(/user and password/);
        expect(guarded.tunnels).to.have.length(1);
      } finally {
        await guarded.stop();
      }
    });

    it("a proxy's 502 to CONNECT (the target refused it) is retried, then one Err that says so", async () => {
      const nowhere = await closedPort();
      const rx = client({ endpoint: `https://127.0.0.1:${nowhere}`, proxy: proxy.url(), maxAttempts: 2 });
      const error = expectOneErr(await collect(rx.getObjectMetadata(fx.bucket, 'k')), 'ServiceError');
      expect(error.status).to.equal(502);
      expect(error.message).to.match(/answered 502 Bad Gateway to CONNECT 127\.0\.0\.1:\d+/);
      expect(proxy.tunnels).to.have.length(2);
    });

    it('a proxy that never answers CONNECT: each attempt stops at connectMs, then one Err(Timeout)', async () => {
      const silent = await ForwardProxy.start({ silent: true });
      try {
        const rx = client({ endpoint: tls.endpoint, proxy: silent.url(), ca: tls.cert, timeouts: { connectMs: 300, idleMs: 0 } });
        const started = Date.now();
        const error = expectOneErr(await collect(rx.getObjectMetadata(fx.bucket, 'k')), 'Timeout');
        expect(error.message).to.match(/could not connect through the proxy http:\/\/127\.0\.0\.1:\d+ within 300 ms/);
        expect(Date.now() - started).to.be.below(5_000);
        expect(silent.accepted).to.equal(3); // the default maxAttempts
        await eventually(() => silent.openConnections === 0, 1_000, 'the stalled connections closed');
      } finally {
        await silent.stop();
      }
    });

    it('unsubscribing while the tunnel opens (no connect timeout) closes the connection to the proxy', async () => {
      const silent = await ForwardProxy.start({ silent: true });
      try {
        const rx = client({ endpoint: tls.endpoint, proxy: silent.url(), ca: tls.cert, timeouts: { connectMs: 0, idleMs: 0 } });
        const subscription = rx.getObjectMetadata(fx.bucket, 'k').subscribe();
        await eventually(() => silent.openConnections === 1, 2_000, 'the client connected to the proxy');
        subscription.unsubscribe();
        await eventually(() => silent.openConnections === 0, 2_000, 'the connection to the proxy closed');
      } finally {
        await silent.stop();
      }
    });
  });

  describe('through an https:// proxy: TLS to the proxy itself', () => {
    let secureProxy: ForwardProxy;
    let proxyCert: Buffer;
    let tls: Awaited<ReturnType<typeof tlsEndpoint>>;
    /** As above: an http endpoint port where nothing listens, reachable only through the proxy. */
    let hidden: number;
    before(async () => {
      const files = selfSignedCertificate();
      proxyCert = readFileSync(files.cert);
      tls = await tlsEndpoint();
      hidden = await closedPort();
      secureProxy = await ForwardProxy.start({ tls: { cert: proxyCert, key: readFileSync(files.key) }, portMap: { [hidden]: serverPort() } });
    });
    afterEach(() => secureProxy.reset());
    after(async () => {
      await secureProxy.stop();
      await tls.stop();
    });

    it('an http endpoint: absolute-form requests inside TLS to the proxy (put, head, get, list, a multipart upload, a ranged download)', async () => {
      const rx = client({ endpoint: `http://127.0.0.1:${hidden}`, proxy: secureProxy.url(), ca: proxyCert });
      expectOk(await collect(rx.putObject(fx.bucket, 'secure-proxy.txt', 'through TLS to the proxy')));
      const head = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'secure-proxy.txt'));
      expect(head.ok && head.val.contentLength).to.equal(24);
      const got = await lastValueFrom(rx.getObject(fx.bucket, 'secure-proxy.txt'));
      expect(got.ok && (await text(got.val.body))).to.equal('through TLS to the proxy');
      const data = bytes(11 * MiB, 9);
      const source = join(tmp.path, 'secure-proxy.bin');
      const target = join(tmp.path, 'secure-proxy.copy');
      await writeFile(source, data);
      expectOk(await collect(rx.uploadFile(fx.bucket, 'secure-proxy.bin', source, { partSize: 5 * MiB })));
      expectOk(await collect(rx.downloadFile(fx.bucket, 'secure-proxy.bin', target, { partSize: 5 * MiB })));
      expect((await readFile(target)).equals(data)).to.equal(true);
      const object = `http://127.0.0.1:${hidden}/${fx.bucket}/secure-proxy.txt`;
      expect(secureProxy.forwarded.map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}`)).to.include.members([`PUT ${object}`, `HEAD ${object}`, `GET ${object}`]);
      expect(secureProxy.forwarded.filter((r) => r.method === 'PUT' && /partNumber=/.test(r.url))).to.have.length(3);
      expect(secureProxy.tunnels).to.deep.equal([]);
      expect(secureProxy.accepted, 'kept alive').to.be.below(secureProxy.forwarded.length);
    });

    it('an https endpoint: CONNECT inside TLS to the proxy, TLS to the endpoint inside that; HTTPS_PROXY picks it', async () => {
      await withEnv(proxyEnv({ HTTPS_PROXY: secureProxy.url() }), async () => {
        const rx = client({ endpoint: tls.endpoint, ca: [proxyCert, tls.cert] });
        expectOk(await collect(rx.putObject(fx.bucket, 'tls-in-tls.txt', 'two layers')));
        const got = await lastValueFrom(rx.getObject(fx.bucket, 'tls-in-tls.txt'));
        expect(got.ok && (await text(got.val.body))).to.equal('two layers');
      });
      expect(secureProxy.forwarded).to.deep.equal([]);
      expect(secureProxy.tunnels.length).to.be.greaterThan(0);
      expect(secureProxy.tunnels.every((t) => t.target === `127.0.0.1:${tls.port}`)).to.equal(true);
    });

    it("a proxy certificate the client's CAs do not vouch for is refused before any request reaches the proxy: one Err", async () => {
      await withEnv({ AWS_CA_BUNDLE: undefined }, async () => {
        const rx = client({ endpoint: `http://127.0.0.1:${hidden}`, proxy: secureProxy.url(), ca: tls.cert, maxAttempts: 1 });
        const results = await collect(rx.putObject(fx.bucket, 'untrusted-proxy.txt', 'no'));
        expect(results).to.have.length(1);
        expect(results[0]!.err).to.equal(true);
        expect((results[0]!.val as S3Error).message).to.match(/certificate/);
      });
      expect(secureProxy.accepted).to.be.greaterThan(0);
      expect(secureProxy.forwarded).to.deep.equal([]);
    });
  });

  describe('through a SOCKS5 proxy: a tunnel for every connection', () => {
    let socks: SocksProxy;
    let tls: Awaited<ReturnType<typeof tlsEndpoint>>;
    /** As above: an http endpoint port where nothing listens, reachable only through the proxy. */
    let hidden: number;
    before(async () => {
      tls = await tlsEndpoint();
      hidden = await closedPort();
      socks = await SocksProxy.start({ portMap: { [hidden]: serverPort() } });
    });
    afterEach(() => socks.reset());
    after(async () => {
      await socks.stop();
      await tls.stop();
    });

    it('socks5h:// and an http endpoint by name: the proxy resolves it; put, head, get, list, a multipart upload and a ranged download, kept alive', async () => {
      const endpoint = `http://localhost:${hidden}`;
      const rx = client({ endpoint, proxy: socks.url() });
      expectOk(await collect(rx.putObject(fx.bucket, 'socks.txt', 'through SOCKS')));
      const head = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'socks.txt'));
      expect(head.ok && head.val.contentLength).to.equal(13);
      const got = await lastValueFrom(rx.getObject(fx.bucket, 'socks.txt'));
      expect(got.ok && (await text(got.val.body))).to.equal('through SOCKS');
      const page = await lastValueFrom(rx.listObjects(fx.bucket, { prefix: 'socks' }));
      expect(page.ok && page.val.objects.map((o) => o.key)).to.deep.equal(['socks.txt']);
      const data = bytes(11 * MiB, 13);
      const source = join(tmp.path, 'socks.bin');
      const target = join(tmp.path, 'socks.copy');
      await writeFile(source, data);
      expectOk(await collect(rx.uploadFile(fx.bucket, 'socks.bin', source, { partSize: 5 * MiB })));
      expectOk(await collect(rx.downloadFile(fx.bucket, 'socks.bin', target, { partSize: 5 * MiB })));
      expect((await readFile(target)).equals(data)).to.equal(true);
      expect(socks.requests.length).to.be.greaterThan(0);
      expect(socks.requests.every((r) => r.host === 'localhost' && r.port === hidden && r.addressType === 3)).to.equal(true);
      // One tunnel per connection, reused: far fewer than the requests (4 small, 5 for the upload, 3+ ranges).
      expect(socks.requests.length).to.be.below(10);
    });

    it('socks5://: a name is resolved here (the proxy gets an address); an https endpoint has TLS to it inside the tunnel', async () => {
      const byName = client({ endpoint: `http://localhost:${hidden}`, proxy: socks.url(undefined, true) });
      expectOk(await collect(byName.putObject(fx.bucket, 'socks-local.txt', 'resolved here')));
      expect(socks.requests.length).to.be.greaterThan(0);
      expect(socks.requests.every((r) => r.port === hidden && ['127.0.0.1', '0:0:0:0:0:0:0:1'].includes(r.host) && r.addressType !== 3)).to.equal(true);
      socks.reset();
      const rx = client({ endpoint: tls.endpoint, proxy: socks.url(undefined, true), ca: tls.cert });
      expectOk(await collect(rx.putObject(fx.bucket, 'socks-tls.txt', 'TLS inside SOCKS')));
      const got = await lastValueFrom(rx.getObject(fx.bucket, 'socks-tls.txt'));
      expect(got.ok && (await text(got.val.body))).to.equal('TLS inside SOCKS');
      expect(socks.requests.length).to.be.greaterThan(0);
      expect(socks.requests.every((r) => r.host === '127.0.0.1' && r.port === tls.port && r.addressType === 1)).to.equal(true);
      expect(tls.connections()).to.be.greaterThan(0);
    });

    it('a user and password (RFC 1929): the right ones open the tunnel; wrong or missing ones are one Err(AccessDenied), not retried', async () => {
      const guarded = await SocksProxy.start({ auth: 'bob:s3 cret', portMap: { [hidden]: serverPort() } });
      try {
        const rx = client({ endpoint: `http://127.0.0.1:${hidden}`, proxy: guarded.url('bob:s3%20cret') });
        expectOk(await collect(rx.putObject(fx.bucket, 'socks-auth.txt', 'ok')));
        expect(guarded.requests[0]).to.include({ user: 'bob', host: '127.0.0.1', addressType: 1 });
        const wrong = client({ endpoint: `http://127.0.0.1:${hidden}`, proxy: guarded.url('bob:nope') });
        const error = expectOneErr(await collect(wrong.getObjectMetadata(fx.bucket, 'socks-auth.txt')), 'AccessDenied');
        expect(error.message).to.match(/SOCKS proxy .* refused .*the user and password were refused/);
        const none = client({ endpoint: `http://127.0.0.1:${hidden}`, proxy: guarded.url() });
        expect(expectOneErr(await collect(none.putObject(fx.bucket, 'socks-auth2.txt', 'no')), 'AccessDenied').message).to.match(/no acceptable authentication method/);
        expect(guarded.requests).to.have.length(1);
      } finally {
        await guarded.stop();
      }
    });

    it('a SOCKS reply of "connection refused" is a network failure: retried, then one Err(Network) that says so', async () => {
      const refusing = await SocksProxy.start({ reply: 5 });
      try {
        const rx = client({ endpoint: `http://127.0.0.1:${hidden}`, proxy: refusing.url(), maxAttempts: 2 });
        const error = expectOneErr(await collect(rx.getObjectMetadata(fx.bucket, 'k')), 'Network');
        expect(error.message).to.match(/could not open a tunnel to 127\.0\.0\.1:\d+: connection refused/);
        expect(refusing.requests).to.have.length(2);
      } finally {
        await refusing.stop();
      }
    });
  });

  describe('settings that cannot work', () => {
    it('a proxy URL that cannot be used, or an unreadable AWS_CA_BUNDLE, is Err(InvalidInput) on every operation; the constructor does not throw', async () => {
      const cases: Array<[RxS3Options, Record<string, string | undefined>, RegExp]> = [
        [{ proxy: 'socks4://127.0.0.1:1080' }, {}, /socks4/],
        [{ proxy: 'http://[nope' }, {}, /not a valid URL/],
        [{}, proxyEnv({ HTTP_PROXY: 'ftp://127.0.0.1:21' }), /HTTP_PROXY .*must be an http:\/\/, https:\/\/, socks5:\/\/ or socks5h:\/\/ proxy URL \(ftp:\/\/ proxies are not supported\)/],
        [{}, { AWS_CA_BUNDLE: join(tmp.path, 'missing.pem') }, /AWS_CA_BUNDLE .*ENOENT/],
      ];
      for (const [options, env, message] of cases) {
        await withEnv(env, async () => {
          const rx = client(options);
          for (const op$ of [rx.getObjectMetadata(fx.bucket, 'k'), rx.listObjects(fx.bucket)] as Array<Observable<AnyResult>>) {
            const error = expectOneErr(await collect(op$), 'InvalidInput');
            expect(error.code).to.equal('InvalidConfiguration');
            expect(error.message).to.match(message);
          }
        });
      }
    });

    it('clientConfig() with a bad proxy gives a client whose every request is Err(InvalidInput), nothing sent', async () => {
      const sdk = new S3Client(clientConfig({ ...rxOptions(), proxy: 'ftp://127.0.0.1:21' }));
      const rx = client({ client: sdk });
      try {
        for (const op$ of [rx.getObjectMetadata(fx.bucket, 'k'), rx.putObject(fx.bucket, 'k', 'x'), rx.listObjects(fx.bucket)] as Array<Observable<AnyResult>>) {
          const error = expectOneErr(await collect(op$), 'InvalidInput');
          expect(error.message).to.match(/ftp/);
        }
      } finally {
        sdk.destroy();
      }
    });
  });
});

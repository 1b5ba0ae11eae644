import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { networkSettings, tunnelsEverything, type Network, type NetworkInput } from '../../lib/internal/network';

/** The proxy (`host:port`, `direct`) each target gets. */
function route(network: Network, secure: boolean, host: string, port: number): string {
  const proxy = network.proxyFor(secure, host, port);
  return proxy === undefined ? 'direct' : `${proxy.host}:${proxy.port}`;
}

function settings(input: NetworkInput, env: NodeJS.ProcessEnv): Network {
  const network = networkSettings(input, env);
  expect(network.problem).to.equal(undefined);
  return network;
}

describe('network settings: which proxy, which CAs (networkSettings, the one rule)', () => {
  it('nothing set: every connection is direct, Node\'s CAs', () => {
    const network = settings({}, {});
    expect(route(network, true, 's3.amazonaws.com', 443)).to.equal('direct');
    expect(route(network, false, '127.0.0.1', 9000)).to.equal('direct');
    expect(network.ca).to.equal(undefined);
  });

  it('HTTPS_PROXY for https targets, HTTP_PROXY for http ones; lower case first; empty is unset', () => {
    const network = settings({}, { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:8080' });
    expect(route(network, true, 's3.amazonaws.com', 443)).to.equal('secure:3128');
    expect(route(network, false, 's3.amazonaws.com', 80)).to.equal('plain:8080');
    expect(route(settings({}, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' }), true, 'h', 443)).to.equal('lower:2');
    expect(route(settings({}, { HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2' }), false, 'h', 80)).to.equal('lower:2');
    expect(route(settings({}, { HTTPS_PROXY: 'http://upper:1', https_proxy: ' ' }), true, 'h', 443)).to.equal('upper:1');
    expect(route(settings({}, { HTTPS_PROXY: 'http://secure:3128' }), false, 'h', 80)).to.equal('direct');
  });

  it('HTTP_PROXY is ignored in a CGI program (REQUEST_METHOD set: a request header can set it); http_proxy is not', () => {
    expect(route(settings({}, { HTTP_PROXY: 'http://evil:1', REQUEST_METHOD: 'GET' }), false, 'h', 80)).to.equal('direct');
    expect(route(settings({}, { http_proxy: 'http://ok:2', REQUEST_METHOD: 'GET' }), false, 'h', 80)).to.equal('ok:2');
  });

  it('a proxy URL: scheme optional (http), port 80 by default, IPv6 in brackets, credentials as Basic (percent-decoded), never shown', () => {
    const plain = settings({ proxy: 'proxy.corp:3128' }, {}).proxyFor(true, 'h', 443)!;
    expect(plain).to.include({ host: 'proxy.corp', port: 3128, authorization: undefined, shown: 'http://proxy.corp:3128' });
    expect(settings({ proxy: 'http://proxy.corp' }, {}).proxyFor(false, 'h', 80)).to.include({ port: 80 });
    expect(settings({ proxy: 'http://[::1]:8080' }, {}).proxyFor(false, 'h', 80)).to.include({ host: '::1', port: 8080, shown: 'http://[::1]:8080' });
    const auth = settings({ proxy: 'http://al%40ice:p%3Ass@proxy:3128' }, {}).proxyFor(true, 'h', 443)!;
    expect(auth.authorization).to.equal(`Basic ${Buffer.from('al@ice:p:ss').toString('base64')}`);
    expect(auth.shown).to.equal('http://proxy:3128');
    expect(plain).to.include({ protocol: 'http:', ca: undefined });
  });

  it('a SOCKS5 proxy: socks5h:// (the proxy resolves names) or socks5:// (resolved here), port 1080 by default, the user and password kept as given', () => {
    const remote = settings({ proxy: 'socks5h://al%40ice:p%3Ass@bastion' }, {}).proxyFor(false, 'h', 80)!;
    expect(remote).to.include({ protocol: 'socks5h:', host: 'bastion', port: 1080, shown: 'socks5h://bastion:1080', ca: undefined });
    expect(remote.credentials).to.deep.equal({ user: 'al@ice', password: 'p:ss' });
    expect(tunnelsEverything(remote)).to.equal(true);
    const local = settings({}, { HTTPS_PROXY: 'socks5://[::1]:9050' }).proxyFor(true, 'h', 443)!;
    expect(local).to.include({ protocol: 'socks5:', host: '::1', port: 9050, credentials: undefined });
    expect(tunnelsEverything(settings({ proxy: 'http://p:1' }, {}).proxyFor(false, 'h', 80)!)).to.equal(false);
  });

  it('an https:// proxy: port 443 by default, secure, checked against the client\'s CAs (ca, else AWS_CA_BUNDLE)', () => {
    const secure = settings({ proxy: 'https://proxy.corp', ca: 'PEM' }, {}).proxyFor(false, 'h', 80)!;
    expect(secure).to.include({ protocol: 'https:', host: 'proxy.corp', port: 443, ca: 'PEM', shown: 'https://proxy.corp:443' });
    const fromEnv = settings({}, { HTTPS_PROXY: 'https://u:p@proxy.corp:8443' }).proxyFor(true, 'h', 443)!;
    expect(fromEnv).to.include({ protocol: 'https:', port: 8443, ca: undefined, shown: 'https://proxy.corp:8443' });
    expect(fromEnv.authorization).to.equal(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('proxy: a URL replaces the proxy variables for both schemes, NO_PROXY still applies; false turns everything off', () => {
    const env = { HTTPS_PROXY: 'http://env:1', HTTP_PROXY: 'http://env:1', NO_PROXY: 'internal.lan' };
    const chosen = settings({ proxy: 'http://mine:2' }, env);
    expect(route(chosen, true, 's3.amazonaws.com', 443)).to.equal('mine:2');
    expect(route(chosen, false, 's3.amazonaws.com', 80)).to.equal('mine:2');
    expect(route(chosen, true, 'minio.internal.lan', 9000)).to.equal('direct');
    const off = settings({ proxy: false }, env);
    expect(route(off, true, 's3.amazonaws.com', 443)).to.equal('direct');
    expect(route(off, false, 's3.amazonaws.com', 80)).to.equal('direct');
  });

  describe('NO_PROXY', () => {
    const via = (noProxy: string, host: string, port = 443): string =>
      route(settings({}, { https_proxy: 'http://p:1', no_proxy: noProxy }), true, host, port);

    it('`*` alone: every target direct', () => {
      expect(via('*', 's3.amazonaws.com')).to.equal('direct');
      expect(via('example.com, *', '10.1.2.3')).to.equal('direct');
    });

    it('a name matches itself and every host under it (with or without a leading dot or *.), not a lookalike; case-insensitive', () => {
      for (const entry of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com']) {
        expect(via(entry, 'example.com'), entry).to.equal('direct');
        expect(via(entry, 'bucket.s3.Example.COM'), entry).to.equal('direct');
        expect(via(entry, 'badexample.com'), entry).to.equal('p:1');
        expect(via(entry, 'example.com.evil.net'), entry).to.equal('p:1');
      }
      expect(via('example.com', 'example.com.')).to.equal('direct');
    });

    it('host:port matches that port only', () => {
      expect(via('minio.lan:9000', 'minio.lan', 9000)).to.equal('direct');
      expect(via('minio.lan:9000', 'minio.lan', 9001)).to.equal('p:1');
      expect(via('127.0.0.1:9000', '127.0.0.1', 9000)).to.equal('direct');
      expect(via('127.0.0.1:9000', '127.0.0.1', 443)).to.equal('p:1');
      expect(via('[::1]:9000', '::1', 9000)).to.equal('direct');
      expect(via('[::1]:9000', '::1', 80)).to.equal('p:1');
    });

    it('IP addresses (IPv6 with or without brackets) and CIDR blocks; a name never matches an address by suffix', () => {
      expect(via('127.0.0.1', '127.0.0.1')).to.equal('direct');
      expect(via('127.0.0.1', '127.0.0.2')).to.equal('p:1');
      expect(via('10.0.0.0/8', '10.200.3.4')).to.equal('direct');
      expect(via('10.0.0.0/8', '11.0.0.1')).to.equal('p:1');
      expect(via('::1', '[::1]')).to.equal('direct');
      expect(via('[::1]', '::1')).to.equal('direct');
      expect(via('fd00::/8', 'fd12::5')).to.equal('direct');
      expect(via('0.1', '10.0.0.1')).to.equal('p:1');
    });

    it('spaces and empty entries are ignored; entries that cannot be read are skipped, the others apply', () => {
      expect(via(' , a.lan ,, b.lan ', 'x.b.lan')).to.equal('direct');
      expect(via('10.0.0.0/99, b.lan', 'b.lan')).to.equal('direct');
      expect(via('10.0.0.0/99, b.lan', '10.0.0.1')).to.equal('p:1');
    });

    it('NO_PROXY is read when no_proxy is not set', () => {
      expect(route(settings({}, { https_proxy: 'http://p:1', NO_PROXY: 'a.lan' }), true, 'a.lan', 443)).to.equal('direct');
      expect(route(settings({}, { https_proxy: 'http://p:1', NO_PROXY: 'a.lan', no_proxy: 'b.lan' }), true, 'a.lan', 443)).to.equal('p:1');
    });
  });

  describe('CAs', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rx-s3-network-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('ca is used as given; AWS_CA_BUNDLE is then not read', () => {
      const network = settings({ ca: 'PEM' }, { AWS_CA_BUNDLE: join(dir, 'missing.pem') });
      expect(network.ca).to.equal('PEM');
      const several = [Buffer.from('a'), 'b'];
      expect(settings({ ca: several }, {}).ca).to.equal(several);
    });

    it('AWS_CA_BUNDLE is read when ca is left out (even with proxy: false)', async () => {
      const file = join(dir, 'bundle.pem');
      await writeFile(file, 'BUNDLE');
      expect(String(settings({}, { AWS_CA_BUNDLE: file }).ca)).to.equal('BUNDLE');
      expect(String(settings({ proxy: false }, { AWS_CA_BUNDLE: file }).ca)).to.equal('BUNDLE');
    });
  });

  describe('problems: reported as a sentence, never thrown; every connection then fails with it', () => {
    const problem = (input: NetworkInput, env: NodeJS.ProcessEnv = {}): string | undefined => networkSettings(input, env).problem;

    it('a proxy that is not an http://, https://, socks5:// or socks5h:// URL', () => {
      expect(problem({ proxy: 'socks4://127.0.0.1:1080' })).to.match(/^proxy "socks4:\/\/127\.0\.0\.1:1080" must be an http:\/\/, https:\/\/, socks5:\/\/ or socks5h:\/\/ proxy URL \(socks4:\/\/ proxies are not supported\)/);
      expect(problem({ proxy: 'ftp://proxy:21' })).to.match(/ftp:\/\/ proxies are not supported/);
      expect(problem({ proxy: 'http://[oops' })).to.match(/is not a valid URL/);
      expect(problem({ proxy: '' })).to.match(/is not a valid URL|names no host/);
      expect(problem({ proxy: 'http://u:%zz@proxy:1' })).to.match(/badly escaped/);
      expect(problem({ proxy: 3128 })).to.equal('proxy must be a proxy URL (http://, https://, socks5:// or socks5h://) or false, got number');
    });

    it('from the environment, naming the variable; a password never shown', () => {
      expect(problem({}, { HTTPS_PROXY: 'socks4a://user:hunter2@proxy:1080' })).to.match(/^HTTPS_PROXY "socks4a:\/\/user:\[redacted\]@proxy:1080"/);
      expect(problem({}, { http_proxy: 'http://[x' })).to.match(/^http_proxy /);
      expect(problem({ proxy: false }, { HTTPS_PROXY: 'socks5://p:1' })).to.equal(undefined);
    });

    it('an unreadable AWS_CA_BUNDLE, or a ca that is not PEM text or bytes', () => {
      expect(problem({}, { AWS_CA_BUNDLE: '/nonexistent/bundle.pem' })).to.equal('AWS_CA_BUNDLE names "/nonexistent/bundle.pem", which cannot be read (ENOENT)');
      expect(problem({ ca: 42 })).to.equal('ca must be PEM text or a Buffer, or an array of them');
      expect(problem({ ca: ['ok', 42] })).to.equal('ca must be PEM text or a Buffer, or an array of them');
    });

    it('a client with a problem routes nothing through a proxy', () => {
      expect(networkSettings({ proxy: 'socks4://p:1' }, {}).proxyFor(true, 'h', 443)).to.equal(undefined);
    });
  });
});

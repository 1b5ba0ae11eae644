import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { redactSecrets } from '../errors';

/**
 * Certificate authorities to trust for https endpoints: PEM text or its bytes, or several (the `ca` of
 * `tls.connect`). They replace Node's default list for rx-s3's connections, as `AWS_CA_BUNDLE` does for the AWS
 * CLI: to add a CA to the default list instead, pass `[...tls.rootCertificates, myCa]` (or set
 * `NODE_EXTRA_CA_CERTS` for the whole process).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const rx = new RxS3({ endpoint: 'https://s3.internal:9000', ca: readFileSync('/etc/pki/internal-ca.pem') });
 * ```
 */
export type CaBundle = string | Buffer | ReadonlyArray<string | Buffer>;

/**
 * How rx-s3 speaks to a proxy: `http:` (absolute-form requests, `CONNECT` for https), `https:` (the same inside TLS
 * to the proxy), `socks5:` (a SOCKS5 tunnel for every target, the target's name resolved here) or `socks5h:` (the
 * same, the name resolved by the proxy).
 */
export type ProxyProtocol = 'http:' | 'https:' | 'socks5:' | 'socks5h:';

/** A forward proxy rx-s3 connects through: where it is and how to authenticate. */
export interface ProxyServer {
  readonly protocol: ProxyProtocol;
  /** Its host name or IP address (an IPv6 address without brackets). */
  readonly host: string;
  readonly port: number;
  /** The user and password of its URL (percent-decoded); undefined without them. */
  readonly credentials: { readonly user: string; readonly password: string } | undefined;
  /** `Basic ...` from those, sent as `Proxy-Authorization` to an http(s) proxy; undefined without them. */
  readonly authorization: string | undefined;
  /** `scheme://host:port`, for messages (never the credentials). */
  readonly shown: string;
  /**
   * For an `https:` proxy, the CAs its certificate is checked against (the client's `ca`), when not Node's
   * defaults: the connection to it is TLS, and requests, `CONNECT` included, go inside that.
   */
  readonly ca: CaBundle | undefined;
}

/** Whether `proxy` tunnels every connection (SOCKS) rather than taking http requests in absolute form. */
export function tunnelsEverything(proxy: ProxyServer): boolean {
  return proxy.protocol === 'socks5:' || proxy.protocol === 'socks5h:';
}

/** The proxy and CA options of a client, as typed by the user (checked here, not trusted). */
export interface NetworkInput {
  readonly proxy?: unknown;
  readonly ca?: unknown;
}

/**
 * How a client's connections reach their endpoints: resolved once from its options and the environment when the
 * client is built (a later change of `process.env` does not apply to it).
 */
export interface Network {
  /** What is wrong with the proxy or CA settings, as a sentence (every request then fails with it), or undefined. */
  readonly problem: string | undefined;
  /** The CAs https connections trust, when not Node's defaults. */
  readonly ca: CaBundle | undefined;
  /**
   * THE proxy rule: the proxy a connection to `host:port` goes through, or undefined for a direct one. See
   * {@link networkSettings}.
   */
  proxyFor(secure: boolean, host: string, port: number): ProxyServer | undefined;
}

/** A client with no proxy and Node's default CAs. */
export const DIRECT: Network = { problem: undefined, ca: undefined, proxyFor: () => undefined };

/**
 * Resolves the `proxy` and `ca` options (the environment where they are left out), like curl and the AWS CLI:
 *
 * - `proxy: false`: every connection is direct.
 * - `proxy: 'http://[user:password@]host[:port]'` (`http://` may be left out; port 80 by default),
 *   `https://...` (port 443 by default), `socks5://...` or `socks5h://...` (port 1080 by default): every
 *   connection goes through it, except to the hosts `no_proxy`/`NO_PROXY` names.
 * - `proxy` left out: https endpoints go through `https_proxy`, else `HTTPS_PROXY`; http endpoints through
 *   `http_proxy`, else `HTTP_PROXY` (not in a CGI program, `REQUEST_METHOD` set, where a request's `Proxy:`
 *   header arrives as `HTTP_PROXY`), except to the hosts `no_proxy`/`NO_PROXY` names. An empty variable is unset.
 * - `no_proxy`/`NO_PROXY`: a comma-separated list; `*` alone turns every proxy off; `example.com`, `.example.com`
 *   or `*.example.com` match that host and every host under it; `host:port` only that port; an IP address (IPv6
 *   with or without brackets) that address, a CIDR block (`10.0.0.0/8`) its addresses. Names are compared as
 *   written: no DNS lookup.
 * - `ca` left out: the file `AWS_CA_BUNDLE` names, if set, as the AWS CLI does (the SDK for JavaScript does not
 *   read it).
 *
 * `http://`, `https://`, `socks5://` and `socks5h://` proxies are supported (any other scheme is a problem,
 * reported, never ignored). An `https://` proxy's certificate is checked against the client's CAs (the `ca` option
 * or `AWS_CA_BUNDLE`), Node's default list without them. A SOCKS proxy carries every connection in a tunnel (port
 * 1080 by default; a user and password in the URL are sent as RFC 1929 asks); `socks5h://` lets the proxy resolve
 * the target's name, `socks5://` resolves it here.
 */
export function networkSettings(input: NetworkInput, env: NodeJS.ProcessEnv = process.env): Network {
  const found = caOf(input.ca, env);
  if ('problem' in found) return { ...DIRECT, problem: found.problem };
  const ca = found.ca;
  if (input.proxy === false) return { ...DIRECT, ca };
  const exclusions = parseNoProxy(envValue(env, 'no_proxy') ?? envValue(env, 'NO_PROXY') ?? '');
  let forHttps: ProxyServer | undefined;
  let forHttp: ProxyServer | undefined;
  if (input.proxy !== undefined) {
    if (typeof input.proxy !== 'string') return { ...DIRECT, problem: `proxy must be a proxy URL (http://, https://, socks5:// or socks5h://) or false, got ${typeof input.proxy}` };
    const proxy = parseProxy(input.proxy, 'proxy', ca);
    if (typeof proxy === 'string') return { ...DIRECT, problem: proxy };
    forHttps = proxy;
    forHttp = proxy;
  } else {
    const httpsName = envValue(env, 'https_proxy') !== undefined ? 'https_proxy' : 'HTTPS_PROXY';
    const httpName = envValue(env, 'http_proxy') !== undefined ? 'http_proxy' : env.REQUEST_METHOD === undefined ? 'HTTP_PROXY' : undefined;
    const fromEnv = (name: string | undefined): ProxyServer | string | undefined => {
      const value = name === undefined ? undefined : envValue(env, name);
      return value === undefined ? undefined : parseProxy(value, name!, ca);
    };
    const https = fromEnv(httpsName);
    const http = fromEnv(httpName);
    if (typeof https === 'string') return { ...DIRECT, problem: https };
    if (typeof http === 'string') return { ...DIRECT, problem: http };
    forHttps = https;
    forHttp = http;
  }
  if (forHttps === undefined && forHttp === undefined) return { ...DIRECT, ca };
  return {
    problem: undefined,
    ca,
    proxyFor(secure, host, port) {
      const proxy = secure ? forHttps : forHttp;
      return proxy === undefined || excluded(exclusions, host, port) ? undefined : proxy;
    },
  };
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The `ca` option, else `AWS_CA_BUNDLE`'s file, or the problem with them. */
function caOf(option: unknown, env: NodeJS.ProcessEnv): { readonly ca: CaBundle | undefined } | { readonly problem: string } {
  if (option !== undefined) {
    const parts: readonly unknown[] = Array.isArray(option) ? option : [option];
    if (!parts.every((part) => typeof part === 'string' || Buffer.isBuffer(part))) return { problem: 'ca must be PEM text or a Buffer, or an array of them' };
    return { ca: option as CaBundle };
  }
  const file = envValue(env, 'AWS_CA_BUNDLE');
  if (file === undefined) return { ca: undefined };
  try {
    return { ca: readFileSync(file) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return { problem: `AWS_CA_BUNDLE names ${JSON.stringify(file)}, which cannot be read (${code})` };
  }
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A proxy URL (scheme-less means http://, as curl reads it), or the problem with it. */
function parseProxy(value: string, source: string, ca: CaBundle | undefined): ProxyServer | string {
  const shown = JSON.stringify(redactSecrets(value));
  let url: URL;
  try {
    url = new URL(SCHEME.test(value) ? value : `http://${value}`);
  } catch {
    return `${source} ${shown} is not a valid URL`;
  }
  const protocol = url.protocol as ProxyProtocol;
  if (!PROXY_PORTS.has(protocol)) return `${source} ${shown} must be an http://, https://, socks5:// or socks5h:// proxy URL (${url.protocol}// proxies are not supported)`;
  if (url.hostname === '') return `${source} ${shown} names no host`;
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return `${source} ${shown} has a badly escaped user or password`;
  }
  const credentials = user === '' && password === '' ? undefined : { user, password };
  const authorization = credentials === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const port = url.port !== '' ? Number(url.port) : PROXY_PORTS.get(protocol)!;
  return { protocol, host: hostOf(url), port, credentials, authorization, shown: `${protocol}//${url.hostname}:${port}`, ca: protocol === 'https:' ? ca : undefined };
}

/** The proxy schemes rx-s3 speaks, and each one's port when the URL names none. */
const PROXY_PORTS = new Map<ProxyProtocol, number>([['http:', 80], ['https:', 443], ['socks5:', 1080], ['socks5h:', 1080]]);

/** A URL's host as a connection takes it (an IPv6 address without brackets). */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** A URL's port, its scheme's default when it names none. */
export function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

interface Exclusions {
  readonly all: boolean;
  /** Host names and IP addresses, each with a port or for every port. */
  readonly names: ReadonlyArray<{ readonly name: string; readonly port: number | undefined }>;
  /** IP addresses and CIDR blocks for every port. */
  readonly addresses: BlockList;
}

/** `NO_PROXY`'s list; entries that cannot be read are skipped (as curl does). */
function parseNoProxy(list: string): Exclusions {
  const names: Array<{ name: string; port: number | undefined }> = [];
  const addresses = new BlockList();
  let all = false;
  for (const raw of list.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') {
      all = true;
      continue;
    }
    const slash = entry.indexOf('/');
    if (slash > 0) {
      const address = entry.slice(0, slash).replace(/^\[|\]$/g, '');
      const prefix = Number(entry.slice(slash + 1));
      const type = isIP(address);
      if (type !== 0 && Number.isInteger(prefix)) {
        try {
          addresses.addSubnet(address, prefix, type === 4 ? 'ipv4' : 'ipv6');
        } catch {
          // A prefix out of range: skipped.
        }
      }
      continue;
    }
    const bare = isIP(entry);
    if (bare !== 0) {
      addresses.addAddress(entry, bare === 4 ? 'ipv4' : 'ipv6');
      continue;
    }
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed !== null) {
      const type = isIP(bracketed[1]!);
      if (type === 0) continue;
      if (bracketed[2] === undefined) addresses.addAddress(bracketed[1]!, 'ipv6');
      else names.push({ name: bracketed[1]!, port: Number(bracketed[2]) });
      continue;
    }
    const withPort = /^(.*):(\d+)$/.exec(entry);
    const name = (withPort?.[1] ?? entry).replace(/^\*?\./, '').replace(/\.$/, '');
    if (name !== '') names.push({ name, port: withPort === null ? undefined : Number(withPort[2]) });
  }
  return { all, names, addresses };
}

function excluded(exclusions: Exclusions, rawHost: string, port: number): boolean {
  if (exclusions.all) return true;
  const host = rawHost.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  const type = isIP(host);
  if (type !== 0 && exclusions.addresses.check(host, type === 4 ? 'ipv4' : 'ipv6')) return true;
  return exclusions.names.some(({ name, port: only }) =>
    (only === undefined || only === port) && (host === name || (type === 0 && host.endsWith(`.${name}`))));
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';

/** A self-signed P-256 certificate for 127.0.0.1 (PEM), made once per process with openssl. */
let certificate: { readonly cert: string; readonly key: string } | undefined;

function selfSigned(): { readonly cert: string; readonly key: string } {
  if (certificate !== undefined) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'rx-s3-spec-tls-'));
  try {
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'),
      '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
    certificate = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A loopback TLS terminator in front of a plain-http endpoint (the suite's server, or a FaultProxy in front of it):
 * every TLS connection is piped to its own TCP connection upstream. Its certificate is self-signed, made at start;
 * a client trusts it through {@link TlsFront.ca}. It can cut a connection (TCP RST) once it has sent a number of
 * bytes to the client, and forwards an upstream reset as a reset.
 */
export class TlsFront {
  /** The certificate to trust (PEM). */
  readonly ca: string;
  /** TLS connections accepted so far. */
  connections = 0;
  private readonly context: SecureContext;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private port = 0;
  private cuts: Array<{ afterBytes: number }> = [];

  private constructor(private readonly upstream: URL) {
    const { cert, key } = selfSigned();
    this.ca = cert;
    this.context = createSecureContext({ cert, key });
  }

  /** Starts a front for `upstream` (`http://127.0.0.1:port`) on a free port of 127.0.0.1. */
  static async start(upstream: string): Promise<TlsFront> {
    const front = new TlsFront(new URL(upstream));
    const server = createServer((raw) => front.accept(raw));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    front.server = server;
    front.port = (server.address() as AddressInfo).port;
    return front;
  }

  /** The endpoint to give the client. */
  get endpoint(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** The next connection (one only) that has sent `afterBytes` bytes to the client (head and body) is reset. */
  cutAfter(afterBytes: number): void {
    this.cuts.push({ afterBytes });
  }

  /** Cuts still waiting for a connection. */
  get pendingCuts(): number {
    return this.cuts.length;
  }

  reset(): void {
    this.cuts = [];
    this.connections = 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  }

  private accept(raw: Socket): void {
    this.connections += 1;
    this.sockets.add(raw);
    raw.once('close', () => this.sockets.delete(raw));
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.context });
    const up = connect({ host: this.upstream.hostname, port: Number(this.upstream.port) });
    this.sockets.add(up);
    up.once('close', () => this.sockets.delete(up));
    const resetClient = (): void => {
      if (!raw.destroyed) raw.resetAndDestroy();
      up.destroy();
    };
    let sent = 0;
    let cutting = false;
    up.on('data', (chunk: Buffer) => {
      if (cutting) return;
      const cut = this.cuts[0];
      if (cut !== undefined && sent + chunk.length >= cut.afterBytes) {
        this.cuts.shift();
        const room = cut.afterBytes - sent;
        up.pause();
        cutting = true;
        secure.write(chunk.subarray(0, room), () => setImmediate(resetClient));
        return;
      }
      sent += chunk.length;
      if (!secure.write(chunk)) up.pause();
    });
    secure.on('drain', () => up.resume());
    secure.on('data', (chunk: Buffer) => {
      if (!up.write(chunk)) secure.pause();
    });
    up.on('drain', () => secure.resume());
    up.once('end', () => secure.end());
    secure.once('end', () => up.end());
    up.once('error', resetClient);
    secure.once('error', () => up.destroy());
    raw.once('error', () => up.destroy());
    secure.once('close', () => up.destroy());
  }
}

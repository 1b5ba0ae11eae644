import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A tunnel a {@link SocksProxy} was asked for. */
export interface SocksRequest {
  /** The target as the client named it: a host name (socks5h) or an address (socks5). */
  readonly host: string;
  readonly port: number;
  /** The address type the client used: 1 IPv4, 3 a domain name, 4 IPv6. */
  readonly addressType: number;
  /** The user the client authenticated as (RFC 1929), if it did. */
  readonly user: string | undefined;
}

/** How a {@link SocksProxy} behaves. */
export interface SocksProxyOptions {
  /** `user:password` the proxy requires (RFC 1929); without them, or wrong, the client is refused. */
  readonly auth?: string;
  /** Answer every CONNECT with this reply code (5: connection refused...) instead of connecting. */
  readonly reply?: number;
  /** Where a target port is sent instead (`{ [askedPort]: realPort }`, always on 127.0.0.1). */
  readonly portMap?: Readonly<Record<number, number>>;
}

/**
 * A small real SOCKS5 proxy (RFC 1928: the CONNECT command, IPv4, IPv6 and domain-name targets; RFC 1929 user and
 * password) on 127.0.0.1 for specs. Every tunnel goes to 127.0.0.1, at the target's port or the one `portMap` gives.
 */
export class SocksProxy {
  /** CONNECTs asked for, in order (refused ones too). */
  readonly requests: SocksRequest[] = [];
  /** TCP connections accepted so far. */
  accepted = 0;
  private readonly open = new Set<Socket>();

  private constructor(private readonly server: Server, private readonly options: SocksProxyOptions) {}

  static async start(options: SocksProxyOptions = {}): Promise<SocksProxy> {
    const server = createServer();
    const proxy = new SocksProxy(server, options);
    server.on('connection', (socket: Socket) => {
      proxy.accepted += 1;
      proxy.open.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => proxy.open.delete(socket));
      proxy.serve(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `socks5h://127.0.0.1:port` (or `socks5://` when `resolveHere`), with `user:password@` when given. */
  url(credentials?: string, resolveHere = false): string {
    return `${resolveHere ? 'socks5' : 'socks5h'}://${credentials === undefined ? '' : `${credentials}@`}127.0.0.1:${this.port}`;
  }

  reset(): void {
    this.requests.length = 0;
    this.accepted = 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** One client: greeting, authentication, CONNECT, then the tunnel. */
  private serve(client: Socket): void {
    let received = Buffer.alloc(0);
    let phase: 'greeting' | 'auth' | 'connect' | 'tunnel' = 'greeting';
    let user: string | undefined;
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const used = this.step(client, received, phase, (next, who) => {
          phase = next;
          if (who !== undefined) user = who;
        }, user);
        if (used === 0) return;
        received = received.subarray(used);
        if (phase === 'tunnel') {
          client.removeListener('data', onData);
          return;
        }
      }
    };
    client.on('data', onData);
  }

  /** Handles what `received` holds in `phase`; returns the bytes used (0: more are needed). */
  private step(
    client: Socket,
    received: Buffer,
    phase: 'greeting' | 'auth' | 'connect' | 'tunnel',
    next: (phase: 'greeting' | 'auth' | 'connect' | 'tunnel', user?: string) => void,
    user: string | undefined,
  ): number {
    if (phase === 'greeting') {
      if (received.length < 2 || received.length < 2 + received[1]!) return 0;
      const methods = [...received.subarray(2, 2 + received[1]!)];
      const wanted = this.options.auth === undefined ? 0 : 2;
      if (received[0] !== 5 || !methods.includes(wanted)) {
        client.end(Buffer.from([5, 0xff]));
        return received.length;
      }
      client.write(Buffer.from([5, wanted]));
      next(wanted === 2 ? 'auth' : 'connect');
      return 2 + received[1]!;
    }
    if (phase === 'auth') {
      if (received.length < 2) return 0;
      const userLength = received[1]!;
      if (received.length < 3 + userLength) return 0;
      const passwordLength = received[2 + userLength]!;
      const length = 3 + userLength + passwordLength;
      if (received.length < length) return 0;
      const name = received.subarray(2, 2 + userLength).toString();
      const password = received.subarray(3 + userLength, length).toString();
      if (`${name}:${password}` !== this.options.auth) {
        client.end(Buffer.from([1, 1]));
        return received.length;
      }
      client.write(Buffer.from([1, 0]));
      next('connect', name);
      return length;
    }
    // CONNECT: version, command, reserved, address type, address, port.
    if (received.length < 5) return 0;
    const type = received[3]!;
    const addressLength = type === 1 ? 4 : type === 4 ? 16 : 1 + received[4]!;
    const length = 4 + addressLength + 2;
    if (received.length < length) return 0;
    const address = received.subarray(4, 4 + addressLength);
    const host = type === 1 ? [...address].join('.')
      : type === 4 ? Array.from({ length: 8 }, (_, i) => address.readUInt16BE(i * 2).toString(16)).join(':')
        : address.subarray(1).toString();
    const port = received.readUInt16BE(4 + addressLength);
    this.requests.push({ host, port, addressType: type, user });
    const answer = (code: number): Buffer => Buffer.from([5, code, 0, 1, 127, 0, 0, 1, 0, 0]);
    if (this.options.reply !== undefined) {
      client.end(answer(this.options.reply));
      return received.length;
    }
    client.pause(); // until the tunnel's pipes take over
    const upstream = connect(this.options.portMap?.[port] ?? port, '127.0.0.1');
    let established = false;
    upstream.once('connect', () => {
      established = true;
      client.write(answer(0));
      const rest = received.subarray(length);
      if (rest.length > 0) upstream.write(rest);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => {
      if (!established) client.end(answer(5));
      else client.destroy();
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      if (established) client.destroy();
    });
    next('tunnel');
    return length;
  }
}

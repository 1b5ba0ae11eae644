import { createHash, createHmac } from 'node:crypto';

/** What SignatureV4 hashes and HMACs: strings (keys), bytes (messages, keys derived from keys). */
type Source = string | ArrayBuffer | ArrayBufferView;

/** The last HMAC keyed by a string: SignatureV4 asks for the same one on every request. */
let memo: { readonly key: string; readonly message: Buffer; readonly digest: Buffer } | undefined;

/** Messages up to this long are remembered with a string key (an access key id is 16 to 128 characters). */
const MEMO_MAX = 256;

function bytesOf(data: Source): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * SHA-256 and HMAC-SHA256 for the lean data plane's `SignatureV4` (its `sha256` option), straight on node:crypto.
 * SignatureV4 signs each request with its own code; what this changes is the cost of one step: before it looks up
 * its signing-key cache, it computes an HMAC of the access key id keyed by the secret, on every request, for the
 * cache key. That HMAC (a string key and a short message) is answered from a one-entry memo of the last one, checked
 * byte for byte, so a change of credentials computes it again. Every other digest is computed as asked.
 *
 * @example
 * new SignatureV4({ credentials, region, service: 's3', sha256: SigningSha256 });
 */
export class SigningSha256 {
  private message: Buffer[] = [];

  constructor(private readonly secret?: Source) {}

  update(data: Source): void {
    this.message.push(bytesOf(data));
  }

  digest(): Promise<Uint8Array> {
    const message = this.message.length === 1 ? this.message[0]! : Buffer.concat(this.message);
    const secret = this.secret;
    if (secret === undefined) return Promise.resolve(createHash('sha256').update(message).digest());
    if (typeof secret !== 'string' || message.length > MEMO_MAX) return Promise.resolve(createHmac('sha256', bytesOf(secret)).update(message).digest());
    if (memo !== undefined && memo.key === secret && memo.message.equals(message)) return Promise.resolve(Buffer.from(memo.digest));
    const digest = createHmac('sha256', secret).update(message).digest();
    memo = { key: secret, message: Buffer.from(message), digest: Buffer.from(digest) };
    return Promise.resolve(digest);
  }

  reset(): void {
    this.message = [];
  }
}

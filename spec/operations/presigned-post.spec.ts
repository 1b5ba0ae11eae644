import { text } from 'node:stream/consumers';
import { expect } from 'chai';
import { collect, expectRejectedLocally, spySend, useBucket } from '../support/fixtures';
import { server } from '../support/server';

/** A browser's form upload: every field, then the file as the last field. */
async function postForm(url: string, fields: Readonly<Record<string, string>>, file: string, extra: Readonly<Record<string, string>> = {}): Promise<{ status: number; body: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...fields, ...extra })) form.append(name, value);
  form.append('file', new Blob([file]), 'photo.png');
  const response = await fetch(url, { method: 'POST', body: form });
  return { status: response.status, body: await response.text() };
}

describe('generatePresignedPost: browser form uploads', () => {
  const fx = useBucket('post');
  const POLICY = 'needs a server that checks POST policies (the embedded server does not; runs on Ceph)';

  it('signs locally: one Ok with the URL and the form fields, no request', async () => {
    const spy = spySend(fx.rx);
    let results;
    try {
      results = await collect(fx.rx.generatePresignedPost(fx.bucket, 'avatars/${filename}', { ttl: 600, contentLengthRange: { min: 1, max: 100 }, contentTypeStartsWith: 'image/' }));
      expect(spy.callCount).to.equal(0);
    } finally {
      spy.restore();
    }
    expect(results).to.have.length(1);
    const post = results[0]!.unwrap();
    expect(post.url).to.include(fx.bucket);
    expect(post).to.include({ bucket: fx.bucket, key: 'avatars/${filename}', expiresIn: 600 });
    expect(post.fields).to.include({ key: 'avatars/${filename}', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' });
    expect(post.fields).to.have.keys('key', 'bucket', 'Policy', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Signature');
    const policy = JSON.parse(Buffer.from(post.fields['Policy']!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    expect(policy.conditions).to.deep.include.members([
      ['content-length-range', 1, 100],
      ['starts-with', '$Content-Type', 'image/'],
      ['starts-with', '$key', 'avatars/'],
    ]);
    expect(Math.abs(Date.parse(policy.expiration) - post.expiresAt.getTime())).to.be.below(2000);
  });

  it('a multipart/form-data POST inside the policy stores the file', async function () {
    if (!server().verifiesAuth) {
      this.test!.title += ` [skipped: ${POLICY}]`;
      this.skip();
    }
    const [signed] = await collect(fx.rx.generatePresignedPost(fx.bucket, 'avatars/${filename}', { contentLengthRange: { min: 1, max: 100 }, contentTypeStartsWith: 'image/' }));
    const post = signed!.unwrap();
    const answer = await postForm(post.url, post.fields, 'small png', { 'Content-Type': 'image/png' });
    expect(answer.status, answer.body).to.be.within(200, 204);
    const [got] = await collect(fx.rx.getObject(fx.bucket, 'avatars/photo.png'));
    const object = got!.unwrap();
    expect(await text(object.body)).to.equal('small png');
    expect(object.contentType).to.equal('image/png');
  });

  it('a POST outside the policy is refused: too large, wrong Content-Type, key outside the prefix, tampered policy', async function () {
    if (!server().verifiesAuth) {
      this.test!.title += ` [skipped: ${POLICY}]`;
      this.skip();
    }
    const [signed] = await collect(fx.rx.generatePresignedPost(fx.bucket, 'avatars/${filename}', { contentLengthRange: { min: 1, max: 10 }, contentTypeStartsWith: 'image/' }));
    const post = signed!.unwrap();
    const tooLarge = await postForm(post.url, post.fields, 'far more than ten bytes', { 'Content-Type': 'image/png' });
    expect(tooLarge.status, tooLarge.body).to.equal(400);
    expect(tooLarge.body).to.include('EntityTooLarge');
    const wrongType = await postForm(post.url, post.fields, 'tiny', { 'Content-Type': 'text/html' });
    expect(wrongType.status, wrongType.body).to.equal(403);
    const outside = await postForm(post.url, { ...post.fields, key: 'elsewhere/photo.png' }, 'tiny', { 'Content-Type': 'image/png' });
    expect(outside.status, outside.body).to.equal(403);
    const policy = JSON.parse(Buffer.from(post.fields['Policy']!, 'base64').toString('utf8')) as { conditions: unknown[] };
    const widened = Buffer.from(JSON.stringify({ ...policy, conditions: policy.conditions.map((c) => (Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 1, 1e9] : c)) })).toString('base64');
    const tampered = await postForm(post.url, { ...post.fields, Policy: widened }, 'far more than ten bytes', { 'Content-Type': 'image/png' });
    expect(tampered.status, tampered.body).to.equal(403);
    const [page] = await collect(fx.rx.listObjects(fx.bucket, { prefix: 'elsewhere/' }));
    expect(page!.unwrap().objects).to.deep.equal([]);
  });

  it('an expired policy is refused', async function () {
    if (!server().verifiesAuth) {
      this.test!.title += ` [skipped: ${POLICY}]`;
      this.skip();
    }
    this.timeout(10_000);
    const [signed] = await collect(fx.rx.generatePresignedPost(fx.bucket, 'late.txt', { ttl: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const post = signed!.unwrap();
    const answer = await postForm(post.url, post.fields, 'late');
    expect(answer.status, answer.body).to.equal(403);
  });

  it('rejects a bad TTL, bucket, key or size range before anything is signed', async () => {
    await expectRejectedLocally(fx.rx, 'InvalidInput', [
      fx.rx.generatePresignedPost(fx.bucket, 'k', { ttl: 0 }),
      fx.rx.generatePresignedPost(fx.bucket, 'k', { ttl: 8 * 24 * 3600 }),
      fx.rx.generatePresignedPost('Bad_Bucket', 'k'),
      fx.rx.generatePresignedPost(fx.bucket, ''),
      fx.rx.generatePresignedPost(fx.bucket, 'k', { contentLengthRange: { min: 10, max: 1 } }),
      fx.rx.generatePresignedPost(fx.bucket, 'k', { contentLengthRange: { min: -1, max: 1 } }),
    ]);
  });
});

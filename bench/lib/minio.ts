/** The minio-js client the minio jobs use: path-style, plain HTTP, the endpoint's host and port. */
import { Client } from 'minio';

export function minioClient(a: { endpoint: string; region: string; forcePathStyle: boolean; credentials: { accessKeyId: string; secretAccessKey: string } }): Client {
  const url = new URL(a.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    useSSL: url.protocol === 'https:',
    pathStyle: a.forcePathStyle,
    region: a.region, // known up front: no GetBucketLocation before the first request
    accessKey: a.credentials.accessKeyId,
    secretKey: a.credentials.secretAccessKey,
  });
}

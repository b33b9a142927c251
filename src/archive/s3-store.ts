// The archive store in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage...), for deployments whose
// workers and API share no disk. Same names and retention as the directory store (src/archive/store.ts).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { archiveName, expired, type ArchiveStore } from './store.js';

/** The bucket's settings (described once, in src/config.ts), the retention and, for tests, the clock. */
export type S3StoreOptions = Config['archive']['s3'] & { ttlDays: number; now?: () => Date };

const missing = (err: unknown) =>
  err instanceof S3ServiceException &&
  (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);

export function createS3Store(options: S3StoreOptions): ArchiveStore & { client: S3Client } {
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    // S3-compatible services do not all read the SDK's default aws-chunked uploads with checksum
    // trailers (they store the chunk framing as data): checksums only where S3 requires them.
    ...(options.endpoint && {
      endpoint: options.endpoint,
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
    }),
    ...(options.accessKeyId && {
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    }),
  });
  const now = options.now ?? (() => new Date());
  const keyOf = (org: string, checkId: string) => `${options.prefix}${archiveName(org, checkId)}`;
  return {
    client,
    async put(org, checkId, path) {
      const { size } = await stat(path);
      await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: keyOf(org, checkId),
          Body: createReadStream(path),
          ContentLength: size,
          ContentType: 'application/wacz',
        }),
      );
    },
    async get(org, checkId) {
      try {
        const res = await client.send(
          new GetObjectCommand({ Bucket: options.bucket, Key: keyOf(org, checkId) }),
        );
        const created = res.LastModified ?? new Date(0);
        const body = res.Body;
        if (!(body instanceof Readable)) throw new Error('S3 answered without a body stream');
        if (expired(created, options.ttlDays, now())) {
          body.destroy();
          return null;
        }
        return { stream: body, bytes: res.ContentLength ?? 0, created };
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async range(org, checkId, start, length) {
      if (length <= 0) return Buffer.alloc(0);
      const Bucket = options.bucket;
      const Key = keyOf(org, checkId);
      let res;
      try {
        // Not a suffix range (`bytes=-N`): some S3-compatible services (s3rver) answer those with the
        // whole object. The size first, then an ordinary range.
        let from = start;
        if (from < 0) {
          const head = await client.send(new HeadObjectCommand({ Bucket, Key }));
          from = Math.max(0, (head.ContentLength ?? 0) + from);
        }
        const Range = `bytes=${from}-${from + length - 1}`;
        res = await client.send(new GetObjectCommand({ Bucket, Key, Range }));
      } catch (err) {
        if (missing(err)) return null;
        // A range that starts past the end of the object: nothing there.
        if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 416) return Buffer.alloc(0);
        throw err;
      }
      const body = res.Body;
      if (!(body instanceof Readable)) throw new Error('S3 answered without a body stream');
      if (expired(res.LastModified ?? new Date(0), options.ttlDays, now())) {
        body.destroy();
        return null;
      }
      // A service that ignores Range answers the whole object: never more than was asked is read.
      const chunks: Buffer[] = [];
      let got = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        got += chunk.length;
        if (got > length) {
          body.destroy();
          throw new Error('The bucket answered a range request with more than the range');
        }
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
    async delete(org, checkId) {
      await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: keyOf(org, checkId) }));
    },
    async sweep(at = now()) {
      if (options.ttlDays <= 0) return 0;
      let removed = 0;
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: options.bucket,
            Prefix: options.prefix,
            ContinuationToken: token,
          }),
        );
        const old = (page.Contents ?? []).filter(
          (o) => o.Key?.endsWith('.wacz') && o.LastModified && expired(o.LastModified, options.ttlDays, at),
        );
        if (old.length) {
          await client.send(
            new DeleteObjectsCommand({
              Bucket: options.bucket,
              Delete: { Objects: old.map((o) => ({ Key: o.Key as string })), Quiet: true },
            }),
          );
          removed += old.length;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return removed;
    },
  };
}

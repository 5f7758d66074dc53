import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  key: string;
}

/** `s3://bucket/key/parts` → {bucket, key}; undefined for anything else (a local path). */
export function parseS3Uri(uri: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match === null) return undefined;
  return { bucket: match[1] ?? '', key: match[2] ?? '' };
}

export function s3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}

/** The object's text, or undefined when there is no such key. Other errors propagate. */
export async function getS3Text(client: S3Client, location: S3Location): Promise<string | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return (await response.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound')) return undefined;
    throw error;
  }
}

export async function putS3Text(client: S3Client, location: S3Location, text: string, contentType = 'application/json'): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: text, ContentType: contentType }));
}

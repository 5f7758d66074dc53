/**
 * The bearer token EKS accepts from an IAM identity (what `aws eks get-token` prints): a presigned
 * STS GetCallerIdentity URL whose signature covers the header `x-k8s-aws-id: <cluster name>`.
 * EKS replays the URL to STS to learn who signed it; the signed header ties the token to one
 * cluster, so a token leaked from one cluster is worthless on another.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, HttpRequest } from '@smithy/types';
import { EksTokenError } from './errors.js';

export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** What `aws eks get-token` uses; EKS itself accepts a token for 15 minutes whatever it says. */
export const TOKEN_EXPIRES_SECONDS = 60;

export interface EksTokenRequest {
  clusterName: string;
  region: string;
  partition: string;
  credentials: AwsCredentialIdentityProvider;
  /** A custom STS endpoint (the simulator): `http://127.0.0.1:4566`; unset = the regional STS endpoint. */
  stsEndpoint?: string;
  now?: () => Date;
}

const DNS_SUFFIXES: Record<string, string> = {
  'aws-cn': 'amazonaws.com.cn',
  'aws-eusc': 'amazonaws.eu',
  'aws-iso': 'c2s.ic.gov',
  'aws-iso-b': 'sc2s.sgov.gov',
};

/** The regional STS endpoint: its URL is what EKS checks and replays. */
export function stsUrl(region: string, partition: string): string {
  return `https://sts.${region}.${DNS_SUFFIXES[partition] ?? 'amazonaws.com'}`;
}

export async function eksToken(request: EksTokenRequest): Promise<string> {
  let base: URL;
  try {
    base = new URL(request.stsEndpoint ?? stsUrl(request.region, request.partition));
  } catch (error) {
    throw new EksTokenError(`the STS endpoint for the EKS token of ${request.clusterName} is not a URL`, { cause: error });
  }
  const toSign: HttpRequest = {
    method: 'GET',
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port ? { port: Number(base.port) } : {}),
    path: base.pathname,
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: base.host, [CLUSTER_ID_HEADER]: request.clusterName },
  };
  const signer = new SignatureV4({ credentials: request.credentials, region: request.region, service: 'sts', sha256: Sha256 });
  let signed: HttpRequest;
  try {
    signed = await signer.presign(toSign, {
      expiresIn: TOKEN_EXPIRES_SECONDS,
      ...(request.now ? { signingDate: request.now() } : {}),
    });
  } catch (error) {
    // The SDK's credential errors name the provider chain, never a secret.
    throw new EksTokenError(`cannot sign the EKS token of ${request.clusterName}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return TOKEN_PREFIX + Buffer.from(presignedUrl(base, signed), 'utf8').toString('base64url');
}

function presignedUrl(base: URL, signed: HttpRequest): string {
  const query = Object.entries(signed.query ?? {})
    .flatMap(([key, value]) => (Array.isArray(value) ? value.map((v) => [key, v] as const) : value == null ? [] : [[key, value] as const]))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  return `${base.protocol}//${base.host}${signed.path}?${query}`;
}

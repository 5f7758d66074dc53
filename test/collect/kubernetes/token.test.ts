import { describe, expect, it } from 'vitest';
import { EksTokenError } from '../../../lib/collect/kubernetes/errors.js';
import { eksToken, stsUrl } from '../../../lib/collect/kubernetes/token.js';

const credentials = async () => ({ accessKeyId: 'ASIA222222222222ABCD', secretAccessKey: 'not-a-real-secret', sessionToken: 'session/token+with=chars' });
const at = () => new Date('2026-03-01T12:34:56Z');

function decode(token: string): URL {
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
}

describe('token.ts', () => {
  it('is a k8s-aws-v1 token holding a presigned GetCallerIdentity URL of the regional STS endpoint', async () => {
    // Act
    const token = await eksToken({ clusterName: 'prod-1', region: 'eu-west-1', partition: 'aws', credentials, now: at });

    // Assess
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token.slice('k8s-aws-v1.'.length)).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
    const url = decode(token);
    expect(`${url.origin}${url.pathname}`).toBe('https://sts.eu-west-1.amazonaws.com/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('ASIA222222222222ABCD/20260301/eu-west-1/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20260301T123456Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Security-Token')).toBe('session/token+with=chars');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps the cluster name out of the URL but in the signature: another cluster, another signature', async () => {
    // Act
    const [a, b] = await Promise.all(
      ['prod-1', 'prod-2'].map((clusterName) => eksToken({ clusterName, region: 'eu-west-1', partition: 'aws', credentials, now: at })),
    );

    // Assess
    const [ua, ub] = [decode(a!), decode(b!)];
    expect(ua.toString()).not.toContain('prod-1');
    expect(ua.searchParams.get('X-Amz-Signature')).not.toBe(ub.searchParams.get('X-Amz-Signature'));
    ua.searchParams.delete('X-Amz-Signature');
    ub.searchParams.delete('X-Amz-Signature');
    expect(ua.toString()).toBe(ub.toString());
  });

  it('signs for a custom endpoint (the simulator) and for the China partition', async () => {
    // Act
    const sim = decode(await eksToken({ clusterName: 'c', region: 'us-east-1', partition: 'aws', credentials, stsEndpoint: 'http://127.0.0.1:4566', now: at }));
    const china = decode(await eksToken({ clusterName: 'c', region: 'cn-north-1', partition: 'aws-cn', credentials, now: at }));

    // Assess
    expect(sim.origin).toBe('http://127.0.0.1:4566');
    expect(china.origin).toBe('https://sts.cn-north-1.amazonaws.com.cn');
    expect(stsUrl('us-gov-west-1', 'aws-us-gov')).toBe('https://sts.us-gov-west-1.amazonaws.com');
  });

  it('fails with an EksTokenError naming the cluster when the credentials cannot be had', async () => {
    // Prepare
    const failing = async () => {
      throw new Error('Could not load credentials from any providers');
    };

    // Act
    const error = await eksToken({ clusterName: 'prod-1', region: 'eu-west-1', partition: 'aws', credentials: failing }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EksTokenError);
    expect((error as Error).message).toContain('prod-1');
  });
});

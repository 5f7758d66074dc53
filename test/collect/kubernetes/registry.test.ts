import { describe, expect, it } from 'vitest';
import { eksRegistryAccount, isOfficialCniImage, parseImage } from '../../../lib/collect/kubernetes/registry.js';

describe('registry.ts', () => {
  it.each([
    ['602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.7.5', 'the common commercial account'],
    ['602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.18.6-eksbuild.1', 'an eksbuild tag'],
    ['602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.9.3', 'another region than the cluster'],
    ['800184023465.dkr.ecr.ap-east-1.amazonaws.com/amazon-k8s-cni:v1.12.0', 'an opt-in region with its own account'],
    ['013241004608.dkr.ecr.us-gov-west-1.amazonaws.com/amazon-k8s-cni:v1.18.0', 'GovCloud (US-West)'],
    ['151742754352.dkr.ecr-fips.us-gov-east-1.amazonaws.com/amazon-k8s-cni:v1.18.0', 'a FIPS endpoint in GovCloud (US-East)'],
    ['918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn/amazon-k8s-cni:v1.15.1', 'the China (Beijing) registry'],
    ['602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.15.1@sha256:' + 'a'.repeat(64), 'a tag pinned by digest'],
    ['public.ecr.aws/eks/amazon-k8s-cni:v1.18.1', 'ECR Public, where upstream publishes every release'],
    ['public.ecr.aws/eks/amazon-k8s-cni:v1.19.3-rc1', 'a release candidate on ECR Public'],
    ['602401143452.dkr.ecr-fips.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.1', 'a FIPS endpoint in a commercial region'],
    ['013241004608.dkr.ecr-fips.us-gov-west-1.amazonaws.com/amazon-k8s-cni:v1.18.1', 'a FIPS endpoint in GovCloud (US-West)'],
    ['961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn/amazon-k8s-cni:v1.18.1', 'the China (Ningxia) registry'],
    ['877088126301.dkr.ecr.eusc-de-east-1.amazonaws.eu/amazon-k8s-cni:v1.20.4', 'the European Sovereign Cloud'],
  ])('trusts %s (%s)', (image) => {
    expect(isOfficialCniImage(image)).toBe(true);
  });

  it.each([
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/amazon-k8s-cni:v1.15.1', 'a mirror in a private ECR'],
    ['602401143452.dkr.ecr.ap-east-1.amazonaws.com/amazon-k8s-cni:v1.12.0', 'the common account in an opt-in region that has its own'],
    ['602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni-init:v1.15.1', 'another repository of the EKS account'],
    ['602401143452.dkr.ecr.us-east-1.amazonaws.com.evil.example/amazon-k8s-cni:v1.15.1', 'a look-alike host'],
    ['public.ecr.aws/someone/amazon-k8s-cni:v1.15.1', 'another ECR Public namespace'],
    ['public.ecr.aws/eks/amazon-k8s-cni-init:v1.15.1', 'the init image in the aws-node container'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/ecr-public/eks/amazon-k8s-cni:v1.18.1', 'a pull-through cache of ECR Public'],
    ['amazon-k8s-cni:v1.15.1', 'a bare name (Docker Hub)'],
    ['registry.internal:5000/amazon-k8s-cni:v1.15.1', 'a private registry with a port'],
  ])('reports %s as unofficial (%s)', (image) => {
    expect(isOfficialCniImage(image)).toBe(false);
  });

  it('reads the registry table by own keys only', () => {
    expect(eksRegistryAccount('constructor')).toBe('602401143452');
    expect(eksRegistryAccount('__proto__')).toBe('602401143452');
    expect(eksRegistryAccount('af-south-1')).toBe('877085696533');
  });

  it('splits an image reference like a container runtime', () => {
    expect(parseImage('602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.9.3')).toEqual({
      registry: '602401143452.dkr.ecr.us-east-1.amazonaws.com',
      repository: 'amazon-k8s-cni',
      tag: 'v1.9.3',
      digest: null,
    });
    expect(parseImage('registry.internal:5000/team/amazon-k8s-cni:v1.9.3@sha256:abc')).toEqual({
      registry: 'registry.internal:5000',
      repository: 'team/amazon-k8s-cni',
      tag: 'v1.9.3',
      digest: 'sha256:abc',
    });
    expect(parseImage('example.com/amazon-k8s-cni@sha256:abc')).toMatchObject({ tag: null, digest: 'sha256:abc' });
    expect(parseImage('library/busybox')).toMatchObject({ registry: 'docker.io', repository: 'library/busybox', tag: null });
  });
});

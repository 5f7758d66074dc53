import { describe, expect, it } from 'vitest';
import { compareCniVersionsDesc, imageTag, inRange, kubernetesInRange, parseCniVersion } from '../../lib/evaluate/version.js';

describe('version', () => {
  it('reads an eksbuild add-on version as its upstream release', () => {
    // Act
    const version = parseCniVersion('v1.7.2-eksbuild.1');

    // Assess
    expect(version).toMatchObject({ upstream: '1.7.2', eksbuild: 1 });
  });

  it('reads the tag of a self-managed image reference', () => {
    // Prepare
    const image = '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.10.0-eksbuild.1';

    // Act & Assess
    expect(imageTag(image)).toBe('v1.10.0-eksbuild.1');
    expect(parseCniVersion(image)?.upstream).toBe('1.10.0');
    expect(parseCniVersion('v1.9.3')?.upstream).toBe('1.9.3');
    expect(parseCniVersion('localhost:5000/amazon-k8s-cni:v1.9.3@sha256:abc')?.upstream).toBe('1.9.3');
  });

  it.each([
    ['v1.7.1-eksbuild.1', '<1.7.2', true], // node-semver alone misses this affected cluster
    ['v1.7.2-eksbuild.1', '<1.7.2', false], // and with includePrerelease raises this false alarm
    ['v1.7.2', '<1.7.2', false],
    ['v1.7.1', '<1.7.2', true],
    ['v1.8.0-rc1', '<1.8.0', true], // a real prerelease stays before its release
    ['v1.8.0-rc1-eksbuild.2', '<1.8.0', true],
    ['v1.11.4-eksbuild.3', '>=1.11.4 <1.12.5', true],
    ['v1.11.3-eksbuild.1', '>=1.11.4 <1.12.5', false],
    ['v1.12.5-eksbuild.1', '>=1.11.4 <1.12.5', false],
  ])('%s in %s is %s', (raw, range, expected) => {
    // Prepare
    const version = parseCniVersion(raw);

    // Act & Assess
    expect(version).not.toBeNull();
    expect(inRange(version!, range)).toBe(expected);
  });

  it.each(['latest', '', 'v1.7', '1.7.x', 'v1.7.2+build5', 'not-a-version'])('%j is not a version', (raw) => {
    expect(parseCniVersion(raw)).toBeNull();
  });

  it('matches Kubernetes minor versions against ranges', () => {
    expect(kubernetesInRange('1.23', '<=1.23')).toBe(true);
    expect(kubernetesInRange('1.24', '<=1.23')).toBe(false);
    expect(kubernetesInRange('1.23', '1.23')).toBe(true);
    expect(kubernetesInRange('garbage', '<=1.23')).toBe(false);
  });

  it('sorts newest first by release then EKS build', () => {
    // Prepare
    const versions = ['v1.12.6-eksbuild.1', 'v1.18.0-eksbuild.1', 'v1.12.6-eksbuild.2', 'junk', 'v1.9.3'];

    // Act
    const sorted = [...versions].sort(compareCniVersionsDesc);

    // Assess
    expect(sorted).toEqual(['v1.18.0-eksbuild.1', 'v1.12.6-eksbuild.2', 'v1.12.6-eksbuild.1', 'v1.9.3', 'junk']);
  });
});

import { describe, expect, it } from 'vitest';
import { ClientCache, configuredEndpoint } from '../../lib/collect/clients.js';

describe('clients.ts', () => {
  it('builds one client per account × region × service and reuses it', () => {
    // Prepare
    const cache = new ClientCache();
    let built = 0;
    const create = () => ({ id: ++built });

    // Act
    const first = cache.get('111', 'eu-west-1', 'eks', create);
    const again = cache.get('111', 'eu-west-1', 'eks', create);
    cache.get('111', 'us-east-1', 'eks', create);
    cache.get('111', 'eu-west-1', 'account', create);
    cache.get('222', 'eu-west-1', 'eks', create);

    // Assess
    expect(again).toBe(first);
    expect(built).toBe(4);
    expect(cache.size).toBe(4);
  });

  it("releases only the given account's clients", () => {
    // Prepare
    const cache = new ClientCache();
    const a = cache.get('111', 'eu-west-1', 'eks', () => ({}));
    const b = cache.get('222', 'eu-west-1', 'eks', () => ({}));

    // Act
    cache.release('111');

    // Assess
    expect(cache.size).toBe(1);
    expect(cache.get('222', 'eu-west-1', 'eks', () => ({}))).toBe(b);
    expect(cache.get('111', 'eu-west-1', 'eks', () => ({}))).not.toBe(a);
  });

  it('decides the configured endpoint once only where the SDK would find the same one, and leaves every other case to the SDK', () => {
    // Prepare
    const noFile = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    const file = (text: string) => () => text;

    // Act + Assess: a Lambda (nothing configured) ignores nothing that exists
    expect(configuredEndpoint({}, noFile)).toEqual({ ignoreConfiguredEndpointUrls: true });
    expect(configuredEndpoint({}, file('[default]\nregion = eu-west-1\n'))).toEqual({ ignoreConfiguredEndpointUrls: true });
    // AWS_ENDPOINT_URL alone: that endpoint, for every service
    expect(configuredEndpoint({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }, noFile)).toEqual({ endpoint: 'http://127.0.0.1:4566' });
    // Anything per service, or in the config file: the SDK decides per client, as before
    expect(configuredEndpoint({ AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_EKS: 'http://b' }, noFile)).toEqual({});
    expect(configuredEndpoint({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, noFile)).toEqual({});
    expect(configuredEndpoint({}, file('[profile local]\nendpoint_url = http://localhost:4566\n'))).toEqual({});
    expect(configuredEndpoint({ AWS_ENDPOINT_URL: 'http://a' }, file('[profile x]\nservices = local\n[services local]\neks =\n  endpoint_url = http://b\n'))).toEqual({});
  });
});

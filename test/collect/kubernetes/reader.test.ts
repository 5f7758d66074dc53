/** A cluster's reads through the account's reader, against a real local TLS server (the simulator's test certificates). */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KubernetesApiError } from '../../../lib/collect/kubernetes/errors.js';
import { createKubernetesReader } from '../../../lib/collect/kubernetes/reader.js';
import type { KubernetesTarget } from '../../../lib/collect/ports.js';

const TLS = new URL('../../sim/tls/', import.meta.url);
const CA_DATA = readFileSync(new URL('ca.pem', TLS)).toString('base64');

let server: Server;
let origin: string;
/** Per TLS connection the server accepted: the tokens of its requests, and whether it closed. */
let connections: { tokens: string[]; closed: boolean }[] = [];

beforeAll(async () => {
  server = createServer({ key: readFileSync(new URL('server.key', TLS)), cert: readFileSync(new URL('server.pem', TLS)) }, (req, res) => {
    const connection = (req.socket as Socket & { seen?: { tokens: string[] } }).seen;
    connection?.tokens.push(req.headers.authorization ?? '');
    // A private endpoint, as a client sees it: accepted, never answered.
    if (req.url?.includes('private')) return;
    // A server (or a proxy before it) that closes a connection right after its answer, without saying so.
    if (req.url?.includes('closing')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }), () => req.socket.destroy());
      return;
    }
    // The DaemonSet answers after a moment: the cluster's other read waits its turn on the connection.
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })), req.url?.includes('slow') ? 300 : 20);
  });
  server.on('secureConnection', (socket: Socket & { seen?: { tokens: string[]; closed: boolean } }) => {
    const seen = { tokens: [] as string[], closed: false };
    socket.seen = seen;
    connections.push(seen);
    socket.on('close', () => (seen.closed = true));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  connections = [];
});

const session = { accountId: '111122223333', partition: 'aws', credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }) };
const target = (clusterName: string): KubernetesTarget => ({ clusterName, region: 'eu-west-1', endpoint: `${origin}/k8s/${clusterName}`, certificateAuthority: CA_DATA });
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('createKubernetesReader', () => {
  it("makes a cluster's reads in flight together over one TLS connection with one token, and closes it after them", async () => {
    // Prepare
    const reader = createKubernetesReader({ session, stsEndpoint: 'http://127.0.0.1:4566' });

    // Act: the DaemonSet and the service account at once, as read-aws-node.ts reads them
    const answers = await Promise.all([reader.getJson(target('prod'), '/apis/apps/v1/daemonsets/aws-node'), reader.getJson(target('prod'), '/api/v1/serviceaccounts/aws-node')]);
    await settle();

    // Assess
    expect(answers).toEqual([{ path: '/k8s/prod/apis/apps/v1/daemonsets/aws-node' }, { path: '/k8s/prod/api/v1/serviceaccounts/aws-node' }]);
    expect(connections).toHaveLength(1);
    expect(connections[0]!.tokens).toHaveLength(2);
    expect(connections[0]!.tokens[0]).toMatch(/^Bearer k8s-aws-v1\./);
    expect(connections[0]!.tokens[1]).toBe(connections[0]!.tokens[0]);
    expect(connections[0]!.closed).toBe(true);
  });

  it("never shares a connection or a token between clusters, nor a connection with a read made after the cluster's others ended", async () => {
    // Prepare
    const reader = createKubernetesReader({ session, stsEndpoint: 'http://127.0.0.1:4566' });

    // Act
    await Promise.all([reader.getJson(target('a'), '/x'), reader.getJson(target('b'), '/x')]);
    await reader.getJson(target('a'), '/y');
    await settle();

    // Assess
    expect(connections).toHaveLength(3);
    expect(connections[0]!.tokens[0]).not.toBe(connections[1]!.tokens[0]);
    expect(connections.every((c) => c.closed)).toBe(true);
  });

  it("never lets a read trust a connection its own cluster CA did not verify: a CA that changed between two reads in flight is refused", async () => {
    // Prepare: the same cluster and endpoint, described the second time with a CA that did not sign the server
    const reader = createKubernetesReader({ session, stsEndpoint: 'http://127.0.0.1:4566' });
    const otherCa: KubernetesTarget = { ...target('rotated'), certificateAuthority: Buffer.from(rootCertificates[0]!).toString('base64') };

    // Act
    const answers = await Promise.allSettled([reader.getJson(target('rotated'), '/one'), reader.getJson(otherCa, '/two')]);

    // Assess
    expect(answers[0]!.status).toBe('fulfilled');
    expect(answers[1]!.status === 'rejected' ? (answers[1].reason as KubernetesApiError).failure : 'read through the other CA\'s connection').toBe('tls');
  });

  it("reads a cluster whose server closes each connection after its answer: the read sent on the closed connection is made again on a new one, not called unreachable", async () => {
    // Prepare
    const reader = createKubernetesReader({ session, stsEndpoint: 'http://127.0.0.1:4566' });

    // Act: ten clusters, their two reads at once, as read-aws-node.ts reads them
    const answers = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => [reader.getJson(target(`closing-${i}`), '/daemonset'), reader.getJson(target(`closing-${i}`), '/serviceaccount')]).flat());

    // Assess
    expect(answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : 'read'))).toEqual(Array.from({ length: 20 }, () => 'read'));
  });

  it("gives a read waiting behind its cluster's other read its whole timeout from its turn", async () => {
    // Prepare: each answer takes 300 ms; a read may take 500 ms
    const reader = createKubernetesReader({ session, stsEndpoint: 'http://127.0.0.1:4566', timeoutMs: 500 });

    // Act
    const answers = await Promise.allSettled([reader.getJson(target('slow'), '/one'), reader.getJson(target('slow'), '/two')]);

    // Assess
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(connections).toHaveLength(1);
  });

  it("fails a cluster's reads waiting behind one that got no answer at once, with its failure: an endpoint that never answers costs one timeout, not one per read", async () => {
    // Prepare
    const reader = createKubernetesReader({ session, stsEndpoint: 'http://127.0.0.1:4566', timeoutMs: 300 });

    // Act
    const answers = await Promise.allSettled([reader.getJson(target('private'), '/daemonset'), reader.getJson(target('private'), '/serviceaccount')]);

    // Assess
    const reasons = answers.map((a) => (a.status === 'rejected' ? (a.reason as KubernetesApiError) : undefined));
    expect(reasons.map((r) => r?.failure)).toEqual(['timeout', 'timeout']);
    expect(reasons[1]?.message).toBe(reasons[0]?.message);
    expect(connections).toHaveLength(1);
  });
});

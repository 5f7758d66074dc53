import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { DeadlineHandler, DeadlineReachedError, deadlineWaiters, onDeadline, raceDeadline } from '../../lib/collect/deadline.js';

/** Unhandled rejections seen while `act` runs and a few turns of the event loop after it. */
async function unhandledDuring(act: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await act().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('raceDeadline', () => {
  it('rejects with DeadlineReached once the signal has fired, and the abandoned call failing later is not unhandled', async () => {
    // Prepare: the deadline has passed when the SDK starts the call (a page of a paginator, say)
    const controller = new AbortController();
    controller.abort();
    const call = new Promise((_, reject) => setTimeout(() => reject(new Error('AbortError: Request aborted')), 5));

    // Act
    let outcome: unknown;
    const unhandled = await unhandledDuring(async () => {
      outcome = await raceDeadline(call, controller.signal).catch((error: unknown) => error);
    });

    // Assess
    expect(outcome).toBeInstanceOf(DeadlineReachedError);
    expect(unhandled).toEqual([]);
  });

  it('cuts a call in flight when the signal fires, and lets a call that ends first through', async () => {
    // Prepare
    const controller = new AbortController();
    const hung = new Promise(() => undefined);

    // Act
    const cut = raceDeadline(hung, controller.signal);
    controller.abort();

    // Assess
    await expect(cut).rejects.toBeInstanceOf(DeadlineReachedError);
    await expect(raceDeadline(Promise.resolve(42), new AbortController().signal)).resolves.toBe(42);
  });
});

describe('onDeadline', () => {
  it('gives the signal one listener however many calls wait, and calls each waiting callback once when it fires', () => {
    // Prepare
    const controller = new AbortController();
    const fired: number[] = [];
    const stops = Array.from({ length: 300 }, (_, i) => onDeadline(controller.signal, () => void fired.push(i)));

    // Act
    stops[7]!();
    const listeners = getEventListeners(controller.signal, 'abort').length;
    controller.abort();
    controller.abort();

    // Assess
    expect(listeners).toBe(1);
    expect(fired).toHaveLength(299);
    expect(fired).not.toContain(7);
    expect(deadlineWaiters(controller.signal)).toBe(0);
  });

  it('calls back at once on a signal that has fired', () => {
    const controller = new AbortController();
    controller.abort();
    let called = 0;
    onDeadline(controller.signal, () => void called++);
    expect(called).toBe(1);
  });
});

describe('DeadlineHandler', () => {
  /** A server answering /done whole and /hang with its headers and half a body, then nothing. */
  async function server(): Promise<{ port: number; close: () => Promise<void> }> {
    const sockets = new Set<import('node:net').Socket>();
    const srv = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '20' });
      if (req.url === '/done') res.end('{"ok":true,"n":12345}'.slice(0, 20));
      else res.write('{"ok":');
    });
    srv.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return {
      port: (srv.address() as AddressInfo).port,
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise((resolve) => srv.close(() => resolve()));
      },
    };
  }
  const get = (port: number, path: string) => ({ protocol: 'http:', hostname: '127.0.0.1', port, method: 'GET', path, headers: {}, query: {} }) as unknown as Parameters<NodeHttpHandler['handle']>[0];

  /** `act` with a DeadlineHandler on that server and the deadline's controller; both closed after. */
  async function withHandler(act: (handler: DeadlineHandler, deadline: AbortController, port: number) => Promise<void>): Promise<void> {
    const { port, close } = await server();
    const inner = new NodeHttpHandler();
    const deadline = new AbortController();
    try {
      await act(new DeadlineHandler(inner, deadline.signal), deadline, port);
    } finally {
      inner.destroy();
      await close();
    }
  }

  it('stops waiting on the deadline once a call has read its whole answer: a night of calls leaves nothing behind', async () => {
    await withHandler(async (handler, deadline, port) => {
      // Act
      for (let i = 0; i < 5; i++) {
        const { response } = await handler.handle(get(port, '/done'));
        for await (const chunk of response.body as AsyncIterable<Buffer>) void chunk;
      }
      await new Promise((resolve) => setImmediate(resolve));

      // Assess
      expect(deadlineWaiters(deadline.signal)).toBe(0);
    });
  });

  it('closes the socket of an answer still arriving when the deadline passes', async () => {
    await withHandler(async (handler, deadline, port) => {
      // Prepare: the headers came, half the body did, the rest never will
      const { response } = await handler.handle(get(port, '/hang'));
      const body = response.body as import('node:stream').Readable;
      const closed = new Promise((resolve) => body.once('close', () => resolve('closed')));
      body.resume();

      // Act
      deadline.abort();

      // Assess
      await expect(Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 2_000))])).resolves.toBe('closed');
      expect(deadlineWaiters(deadline.signal)).toBe(0);
    });
  });
});

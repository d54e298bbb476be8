'use strict';
// How each kind of row is measured. A kind has setup (per implementation, before the rounds),
// sample (one measurement: { value, cpu, extra? }) and teardown; run.js alternates the
// implementations' samples round by round.
const { startServer, stopServer, memoryOf, processCpuMicros } = require('./servers');
const { runLoadgen, holdConnections } = require('./loadgen');
const { jsonDocument, deflateMessage, serverFrame, generatorPayload } = require('./payloads');
const { redisServer } = require('./redis');
const { clientAvailable, runClient } = require('./client-echo');

/**
 * The server's CPU time per message (or handshake) over the generator's measured window, in
 * microseconds: steadier than a rate on a shared machine, where how fast a core is moves
 * between rounds while the work a message takes does not.
 */
async function withServerCpu(pid, run) {
  let before = null;
  let after = null;
  const result = await run({
    onWindow: () => (before = processCpuMicros(pid)),
    onResult: () => (after = processCpuMicros(pid)),
  });
  const serverCpu =
    before !== null && after !== null && result.messages > 0 ? (after - before) / result.messages : null;
  return { result, serverCpu };
}

/** Rows against one long-lived server per implementation: echo, storm, latency. */
function generatorKind(mode, options) {
  return {
    async setup(scenario, impl) {
      const server = await startServer(impl, scenario.config);
      return { server, args: { port: server.port, ...options(scenario), header: scenario.params.header } };
    },
    // A longer first run lets the JIT settle before any sample counts.
    warm: (_scenario, { args }, timing) => runLoadgen(mode, { ...args, duration: timing.firstWarmup, warmup: 0 }),
    async sample(scenario, { server, args }, timing) {
      // A row may ask for longer samples (scenarios.js, `durationScale`) when its figure is noise-bound.
      const duration = timing.duration * (scenario.durationScale || 1);
      const { result, serverCpu } = await withServerCpu(server.child.pid, (hooks) =>
        runLoadgen(mode, { ...args, duration, warmup: timing.warmup }, hooks),
      );
      const value = scenario.metric === 'bytesPerSecond' ? result.bytesPerSecond / 1e6 : result[scenario.metric];
      const extra =
        mode === 'latency' ? { p50: result.p50, p99Written: result.p99_written, lagP99: result.lag_p99 } : undefined;
      // Latency rows run below the server's capacity: CPU per message says nothing there.
      return { value, cpu: result.cpu, serverCpu: mode === 'latency' ? null : serverCpu, extra };
    },
    teardown: ({ server }) => stopServer(server),
  };
}

const echo = generatorKind('echo', ({ params }) => ({
  minMessages: 8,
  connections: params.connections,
  window: params.window,
  ...generatorPayload(params),
}));
const storm = generatorKind('storm', ({ params }) => ({ parallel: params.parallel, minMessages: 32 }));
// The generator polls its clock rather than sleeping on a timerfd (latency.c): a sleeping
// generator wakes late (a halted vCPU), and its late sends are counted as the server's latency.
const latency = generatorKind('latency', ({ params }) => ({
  connections: params.connections,
  rate: params.rate,
  size: params.size,
  spin: true,
}));

/** Memory: a fresh server per sample, measured after GC before and after the connections. */
const WARM_CONNECTIONS = 200;
const memory = {
  setup: (_scenario, impl) => ({ impl }),
  async sample(scenario, { impl }) {
    const { params } = scenario;
    const server = await startServer(impl, scenario.config);
    try {
      const extra = params.sendOne ? { sendOne: true, ...generatorPayload(params) } : {};
      // Connections that come and go first, as in any server that has been up a while: the first
      // handshakes compile its code and fill its pools, costs of the process, not of a
      // connection. A second's pause lets every server see them gone before it is measured.
      const warm = await holdConnections({
        port: server.port,
        connections: WARM_CONNECTIONS,
        header: params.header,
        ...extra,
      });
      await warm.close();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = await memoryOf(server.child);
      const held = await holdConnections({
        port: server.port,
        connections: params.connections,
        header: params.header,
        ...extra,
      });
      const after = await memoryOf(server.child);
      await held.close();
      const perConnection = (key) => (after[key] - before[key]) / params.connections;
      return {
        value: perConnection('rss'),
        cpu: 0,
        extra: { heapPerConnection: perConnection('heapUsed') + perConnection('external') },
      };
    } finally {
      await stopServer(server);
    }
  },
  teardown: () => {},
};

/** What the server is told to send: the text (or, for the ceiling, a prebuilt frame). */
function fanOutMessage(params, deflated) {
  const text = params.json ? jsonDocument(params.json) : 'x'.repeat(params.size);
  const frame = deflated ? serverFrame(deflateMessage(text, 15), 1, true) : serverFrame(Buffer.from(text), 1);
  return {
    type: 'send',
    mode: params.mode,
    payload: text,
    frame,
    binary: false,
    messages: params.messages,
    perTick: params.perTick,
  };
}

/**
 * Fan-out: every implementation holds its receivers for the whole row. The warm-up's rate sets
 * how many messages a sample sends, so that each lasts about `timing.duration` whatever the
 * implementation's speed (a multiple of perTick, at least `params.messages` / 10).
 */
const fanout = {
  async setup(scenario, impl) {
    const { params } = scenario;
    const server = await startServer(impl, { ...scenario.config, subscribe: true });
    const held = await holdConnections({ port: server.port, connections: params.receivers, header: params.header });
    const message = fanOutMessage(params, Boolean(scenario.config && scenario.config.deflate));
    return { server, held, message };
  },
  async warm(scenario, state, timing) {
    const { perTick, receivers } = scenario.params;
    const probe = { ...state.message, messages: Math.max(perTick, Math.ceil(state.message.messages / 10)) };
    const { value } = await fanout.sample(scenario, { ...state, message: probe }, timing);
    const wanted = Math.ceil((value * timing.duration) / receivers / perTick) * perTick;
    state.message = { ...state.message, messages: Math.max(probe.messages, wanted) };
  },
  async sample(scenario, state) {
    const { server, held, message } = state;
    const publisher = state.publisher || server;
    const deliveries = scenario.params.receivers * message.messages;
    const result = await held.expect(deliveries, () => publisher.child.send(message));
    return { value: result.rate, cpu: result.cpu, extra: { messages: message.messages } };
  },
  async teardown({ server, held, redis, publisher }) {
    await held.close();
    await stopServer(server);
    if (publisher) await stopServer(publisher);
    if (redis) await redis.stop();
  },
};

/** Cross-process publish: receivers on one server, publishes from another, one Redis between. */
const redis = {
  available: () => redisServer.available(),
  async setup(scenario) {
    const { params } = scenario;
    const store = await redisServer.start();
    const config = { redis: store.url, subscribe: true };
    const server = await startServer('ours', config);
    const publisher = await startServer('ours', config);
    const held = await holdConnections({ port: server.port, connections: params.receivers });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the SUBSCRIBE reaches Redis
    const message = fanOutMessage({ ...params, mode: 'publish' }, false);
    return { server, publisher, held, message, redis: store };
  },
  warm: (scenario, state, timing) => fanout.warm(scenario, state, timing),
  sample: (scenario, state) => fanout.sample(scenario, state),
  teardown: (state) => fanout.teardown(state),
};

/**
 * Client echo: our `connect()` against ws's client, each in a Node process, on this library's
 * server, which echoes about 6x as fast as ws's: on a ws server the server saturated first and
 * both clients measured its pace (docs/profiles/client.md).
 */
const client = {
  available: clientAvailable,
  async setup(_scenario, impl) {
    return { server: await startServer('ours'), impl };
  },
  warm: (scenario, { server, impl }, timing) =>
    runClient(impl, { port: server.port, ...scenario.params, duration: timing.firstWarmup }),
  async sample(scenario, { server, impl }, timing) {
    const result = await runClient(impl, { port: server.port, ...scenario.params, duration: timing.duration });
    // The client is what is measured here, not a generator that could saturate.
    return { value: result.rate, cpu: 0, extra: { clientCpu: result.cpu } };
  },
  teardown: ({ server }) => stopServer(server),
};

const KINDS = { echo, storm, latency, memory, fanout, redis, client };

module.exports = { KINDS };

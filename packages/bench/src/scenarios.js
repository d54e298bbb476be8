'use strict';
// Every row of the suite: what is measured, how, and the target from issue 17 (median ratio to
// ws with bufferutil in the same run). `quick: false` rows are left out of `--quick`.
const KiB = 1024;
const MiB = 1024 * KiB;

// Offers as a browser makes them, with and without context takeover; the client's own
// messages are compressed with a 12-bit window, which fits whatever the server allows.
const OFFER_NO_TAKEOVER =
  'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits';
const OFFER_TAKEOVER = 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits';
const OFFER_SERVER_NO_TAKEOVER =
  'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits';

const ALL = ['ours', 'ws', 'ws-js', 'raw'];
const NO_RAW = ['ours', 'ws', 'ws-js'];

const echo = (id, name, params, target, extra = {}) => ({
  id,
  name,
  kind: 'echo',
  metric: params.size >= 64 * KiB ? 'bytesPerSecond' : 'rate',
  unit: params.size >= 64 * KiB ? 'MB/s' : 'msg/s',
  better: 'higher',
  impls: ALL,
  params,
  target,
  ...extra,
});

const SCENARIOS = [
  echo(
    'echo-64',
    'echo 64 B text, 100 connections x 16 in flight',
    { connections: 100, window: 16, size: 64 },
    { min: 6 },
  ),
  echo('echo-1k', 'echo 1 KiB text, 100 x 16', { connections: 100, window: 16, size: KiB }, { min: 4 }),
  // Small binary messages (protobuf, msgpack), which the issue sets no target for: no string on
  // either side, so what is left is framing and the event.
  echo(
    'echo-64-binary',
    'echo 64 B binary, 100 x 16',
    { connections: 100, window: 16, size: 64, binary: true },
    undefined,
    { quick: false },
  ),
  echo('echo-64k', 'echo 64 KiB text, 16 x 4', { connections: 16, window: 4, size: 64 * KiB }, { min: 1 }),
  echo('echo-1m-text', 'echo 1 MiB text, 4 x 4', { connections: 4, window: 4, size: MiB }, { min: 1, floor: 0.8 }),
  echo(
    'echo-1m-binary',
    'echo 1 MiB binary, 4 x 4',
    { connections: 4, window: 4, size: MiB, binary: true },
    { min: 1 },
    { quick: false },
  ),
  echo(
    'echo-16m-text',
    'echo 16 MiB text, 1 x 2',
    { connections: 1, window: 2, size: 16 * MiB },
    { min: 1 },
    { quick: false },
  ),
  // The same large text with `textMessages: 'buffer'` on our server (text handed to listeners as
  // validated bytes, as ws does): what the option buys over the default string delivery above.
  echo(
    'echo-64k-text-buffer',
    "echo 64 KiB text, 16 x 4, textMessages: 'buffer'",
    { connections: 16, window: 4, size: 64 * KiB },
    { min: 1 },
    { impls: ['ours', 'ws'], config: { textMessages: 'buffer' }, quick: false },
  ),
  echo(
    'echo-1m-text-buffer',
    "echo 1 MiB text, 4 x 4, textMessages: 'buffer'",
    { connections: 4, window: 4, size: MiB },
    { min: 1 },
    { impls: ['ours', 'ws'], config: { textMessages: 'buffer' }, quick: false },
  ),
  echo(
    'echo-16m-text-buffer',
    "echo 16 MiB text, 1 x 2, textMessages: 'buffer'",
    { connections: 1, window: 2, size: 16 * MiB },
    { min: 1 },
    { impls: ['ours', 'ws'], config: { textMessages: 'buffer' }, quick: false },
  ),
  echo(
    'echo-16m-binary',
    'echo 16 MiB binary, 1 x 2',
    { connections: 1, window: 2, size: 16 * MiB, binary: true },
    { min: 1 },
    { quick: false },
  ),
  // Bound by the round trip (both processes' wake-ups), not by either side's CPU: a sample's rate
  // moves by 5 to 7% from one round to the next (docs/profiles/latency.md), so samples are 2x long.
  echo(
    'echo-64-1',
    'echo 64 B, one message in flight per connection (100)',
    { connections: 100, window: 1, size: 64 },
    { min: 1.1 },
    { durationScale: 2 },
  ),
  {
    id: 'handshakes',
    name: 'handshakes/s (connect, upgrade, close; 32 at a time)',
    kind: 'storm',
    metric: 'rate',
    unit: 'handshakes/s',
    better: 'higher',
    impls: ALL,
    params: { parallel: 32 },
    target: { min: 1.4 },
  },
  {
    id: 'memory-idle',
    name: 'RSS per idle connection at 10,000, after GC',
    kind: 'memory',
    metric: 'rssPerConnection',
    unit: 'B',
    better: 'lower',
    impls: ALL,
    params: { connections: 10000 },
    quickParams: { connections: 1000 },
    target: { max: 0.8 },
  },
  {
    id: 'broadcast-1k',
    name: 'broadcast 64 B to 1,000 receivers, deliveries/s',
    kind: 'fanout',
    metric: 'rate',
    unit: 'deliveries/s',
    better: 'higher',
    impls: ALL,
    params: { receivers: 1000, mode: 'broadcast', size: 64, messages: 200, perTick: 10 },
    target: { min: 1.5 },
  },
  {
    id: 'broadcast-10k',
    name: 'broadcast 64 B to 10,000 receivers',
    kind: 'fanout',
    metric: 'rate',
    unit: 'deliveries/s',
    better: 'higher',
    impls: ALL,
    params: { receivers: 10000, mode: 'broadcast', size: 64, messages: 20, perTick: 10 },
    target: { min: 1.3 },
    quick: false,
  },
  {
    id: 'publish-10k',
    name: 'publish 64 B to 10,000 topic subscribers',
    kind: 'fanout',
    metric: 'rate',
    unit: 'deliveries/s',
    better: 'higher',
    impls: ALL,
    params: { receivers: 10000, mode: 'publish', size: 64, messages: 20, perTick: 10 },
    quickParams: { receivers: 2000, messages: 50 },
    target: { min: 1.3 },
  },
  {
    id: 'redis-publish',
    name: 'publish 64 B through Redis to 1,000 subscribers in another process',
    kind: 'redis',
    metric: 'rate',
    unit: 'deliveries/s',
    better: 'higher',
    impls: ['ours'],
    params: { receivers: 1000, size: 64, messages: 100, perTick: 10 },
    target: null,
    quick: false,
  },
  echo(
    'deflate-echo',
    'permessage-deflate echo 16 KiB JSON, no context takeover, 20 x 4',
    { connections: 20, window: 4, json: 16 * KiB, header: OFFER_NO_TAKEOVER },
    { min: 1.4 },
    { impls: NO_RAW, config: { deflate: {} }, unit: 'msg/s', metric: 'rate' },
  ),
  echo(
    'deflate-echo-takeover',
    'permessage-deflate echo 16 KiB JSON, context takeover, 20 x 4',
    { connections: 20, window: 4, json: 16 * KiB, header: OFFER_TAKEOVER },
    { min: 1.4 },
    { impls: NO_RAW, config: { deflate: {} }, unit: 'msg/s', metric: 'rate', quick: false },
  ),
  {
    id: 'deflate-memory',
    name: 'deflate memory per connection after one 16 KiB JSON message, context takeover (1,000)',
    kind: 'memory',
    metric: 'rssPerConnection',
    unit: 'B',
    better: 'lower',
    impls: NO_RAW,
    config: { deflate: {} },
    params: { connections: 1000, json: 16 * KiB, header: OFFER_TAKEOVER, sendOne: true },
    quickParams: { connections: 200 },
    target: { max: 0.5 },
  },
  {
    id: 'deflate-broadcast',
    name: 'broadcast 16 KiB JSON to 1,000 deflate clients (server_no_context_takeover)',
    kind: 'fanout',
    metric: 'rate',
    unit: 'deliveries/s',
    better: 'higher',
    impls: ALL,
    config: { deflate: {} },
    params: {
      receivers: 1000,
      mode: 'broadcast',
      json: 16 * KiB,
      messages: 5,
      perTick: 1,
      header: OFFER_SERVER_NO_TAKEOVER,
    },
    target: { min: 5 },
  },
  {
    id: 'latency-p99',
    name: 'open-loop latency p99, 1 KiB at 20,000 msg/s over 50 connections',
    kind: 'latency',
    metric: 'p99',
    unit: 'us',
    better: 'lower',
    impls: ALL,
    params: { connections: 50, rate: 20000, size: KiB },
    target: { max: 0.8 },
    // The 1% tail of 30,000 messages is 300 of them, a few scavenges' worth: twice as many samples.
    durationScale: 2,
  },
  {
    // Our client (`connect()` from @ws/core, issue 18) against ws's, both on our server (a ws server saturated first);
    // runs only once @ws/core exports `connect`.
    id: 'client-echo',
    name: 'client echo 64 B, 50 connections x 16 in flight, against our server',
    kind: 'client',
    metric: 'rate',
    unit: 'msg/s',
    better: 'higher',
    impls: ['ours', 'ws'],
    params: { connections: 50, window: 16, size: 64 },
    target: { min: 1 },
  },
];

/** The scenarios of this run, with `--quick`'s smaller parameters merged in (and named). */
function plan({ quick, only }) {
  return SCENARIOS.filter((s) => !quick || s.quick !== false)
    .filter((s) => only.length === 0 || only.some((part) => s.id.includes(part)))
    .map((s) => {
      if (!quick || !s.quickParams) return s;
      const changed = Object.entries(s.quickParams).map(([key, value]) => `${key} ${value}`);
      return { ...s, name: `${s.name} [--quick: ${changed.join(', ')}]`, params: { ...s.params, ...s.quickParams } };
    });
}

module.exports = { SCENARIOS, plan, KiB, MiB };

import {
  DEFAULT_BUFFER_BYTES,
  DEFAULT_MAX_LEN,
  DEFAULT_PREFIX,
  DEFAULT_URL,
  redisAdapter,
  resolveOptions,
} from '@ws/redis';

describe('redisAdapter options', () => {
  test('defaults', () => {
    expect(resolveOptions()).toMatchObject({
      url: DEFAULT_URL,
      mode: 'pubsub',
      prefix: DEFAULT_PREFIX,
      maxLen: DEFAULT_MAX_LEN,
      bufferBytes: DEFAULT_BUFFER_BYTES,
      cluster: undefined,
    });
  });

  test.each([
    [{ mode: 'kafka' }, TypeError, /mode/],
    [{ maxlen: 5 }, TypeError, /unknown option "maxlen"/],
    [{ url: 'redis://a', cluster: { nodes: [{ port: 1 }] } }, TypeError, /one of url, client and cluster/],
    [{ cluster: { nodes: [] } }, TypeError, /cluster.nodes/],
    [{ cluster: { nodes: [{ port: 1 }] }, mode: 'streams' }, TypeError, /cluster runs in mode 'pubsub'/],
    [{ maxLen: 0 }, RangeError, /maxLen/],
    [{ bufferBytes: 1.5 }, RangeError, /bufferBytes/],
    [{ readCount: '10' }, TypeError, /readCount/],
    [{ prefix: 3 }, TypeError, /prefix/],
    [{ client: {} }, TypeError, /ioredis client/],
  ])('%j is refused', (options, type, message) => {
    expect(() => redisAdapter(options as never)).toThrow(type);
    expect(() => redisAdapter(options as never)).toThrow(message);
  });
});

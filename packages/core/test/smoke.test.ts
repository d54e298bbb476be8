import { Server } from '@ws/core';
import WebSocket from 'ws';
test('echo', async () => {
  const server = new Server({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.on('listening', r));
  server.on('message', (data, c, isBinary) => c.send(data, { binary: isBinary }));
  const port = (server.address() as any).port;
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((r) => ws.on('open', r));
  const got: any[] = [];
  ws.on('message', (d, b) => got.push([d.toString(), b]));
  ws.send('hello'); ws.send(Buffer.from([1,2,3])); ws.send('x'.repeat(100000));
  await new Promise((r) => setTimeout(r, 200));
  expect(got.map(g=>[g[0].length,g[1]])).toEqual([[5,false],[3,true],[100000,false]]);
  const closed = new Promise((r) => ws.on('close', (code, reason) => r([code, reason.toString()])));
  ws.close(4001, 'bye');
  expect(await closed).toEqual([4001, 'bye']);
  await new Promise<void>((r) => server.close(r));
});

import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { metrics, registry } from '../metrics/metrics';
import { ProviderHttp } from './provider-http';

/** The value of one sample line of the exposition text, or 0 when absent. */
function sample(name: string, labels: string): number {
  const line = registry
    .render()
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('ProviderHttp metrics', () => {
  let server: Server;
  let host: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/slow-down' ? 429 : 200;
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('counts every answer by host and status, and 429s apart', async () => {
    const http = new ProviderHttp();
    const throttled = `host="${host}"`;
    const before = sample(metrics.providerThrottled.name, throttled);
    await http.request(`http://${host}/ok`);
    await http.request(`http://${host}/ok`);
    await http.request(`http://${host}/slow-down`);
    const requests = metrics.providerRequests.name;
    expect(sample(requests, `host="${host}",status="200"`)).toBe(2);
    expect(sample(requests, `host="${host}",status="429"`)).toBe(1);
    expect(sample(metrics.providerThrottled.name, throttled)).toBe(before + 1);
  });
});

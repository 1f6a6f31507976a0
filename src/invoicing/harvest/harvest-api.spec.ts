import { ProviderHttp } from '../../providers/provider-http';
import { InvoicingError } from '../invoicing-provider';
import { HarvestApi, HarvestRequest } from './harvest-api';

/** The API client over a network that answers `answer` to every request. */
function apiAnswering(answer: () => Response) {
  const http = new ProviderHttp();
  const sent: Array<{ url: string; headers: Record<string, string> }> = [];
  http.fetch = (input, init) => {
    sent.push({ url: String(input), headers: init?.headers as Record<string, string> });
    return Promise.resolve(answer());
  };
  const api = new HarvestApi({
    apiBaseUrl: 'https://api.harvest.test/v2',
    userAgent: 'danwel (ops@danwel.test)',
    http,
    requestTimeoutMs: 1_000,
  });
  return { api, sent };
}

const read: HarvestRequest = {
  method: 'GET',
  path: '/time_entries/1',
  accessToken: 'token-1',
  accountId: '42',
};

async function failure(call: Promise<unknown>) {
  const error = await call.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvoicingError);
  return (error as InvoicingError).failure;
}

describe('HarvestApi', () => {
  it('sends the token, account id and User-Agent to the API path', async () => {
    const { api, sent } = apiAnswering(() => Response.json({ id: 1 }));
    expect(await api.send(read)).toEqual({ id: 1 });
    expect(sent[0].url).toBe('https://api.harvest.test/v2/time_entries/1');
    expect(sent[0].headers).toMatchObject({
      authorization: 'Bearer token-1',
      'harvest-account-id': '42',
      'user-agent': 'danwel (ops@danwel.test)',
    });
  });

  it('retries an answer that is not JSON, or an entry answer without a body', async () => {
    const html = apiAnswering(() => new Response('<html>proxy</html>', { status: 200 }));
    expect(await failure(html.api.send(read))).toMatchObject({
      kind: 'retryable',
      code: 'invalid_response',
    });
    const empty = apiAnswering(() => new Response(null, { status: 201 }));
    expect(await failure(empty.api.entry({ ...read, method: 'POST' }))).toMatchObject({
      kind: 'retryable',
      code: 'invalid_response',
    });
    expect(await empty.api.send({ ...read, method: 'DELETE' })).toBeNull();
  });

  it('answers null for a 404 only when told to', async () => {
    const { api } = apiAnswering(() =>
      Response.json({ status: 404, error: 'Not Found' }, { status: 404 }),
    );
    expect(await api.send({ ...read, missingOk: true })).toBeNull();
    expect(await failure(api.send({ ...read, method: 'PATCH', call: 'update' }))).toMatchObject({
      kind: 'gone',
      status: 404,
    });
  });

  it('keeps the token out of failure messages', async () => {
    const { api } = apiAnswering(() =>
      Response.json({ message: 'token-1 is not welcome' }, { status: 422 }),
    );
    const refused = await failure(api.send(read));
    expect(refused.kind).toBe('permanent');
    expect(refused.message).not.toContain('token-1');
  });
});

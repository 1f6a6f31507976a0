import { afterEach, describe, expect, it } from 'vitest';
import { allPages, ApiError, createApi, data, tokenStore } from './client';

const memory = new Map<string, string>();
(globalThis as { localStorage?: unknown }).localStorage = {
  getItem: (k: string) => memory.get(k) ?? null,
  setItem: (k: string, v: string) => void memory.set(k, v),
  removeItem: (k: string) => void memory.delete(k),
};

/** A fetch that records requests and answers from a table, like the server would. */
function fakeServer(answer: (request: Request) => Response) {
  const seen: Request[] = [];
  const fetch = async (input: Request) => {
    seen.push(input);
    return answer(input);
  };
  return { seen, fetch: fetch as unknown as typeof globalThis.fetch };
}

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

afterEach(() => tokenStore.clear());

describe('the API adapter', () => {
  it('sends the bearer token and the body as JSON to the typed path', async () => {
    tokenStore.set('tok_abc');
    const server = fakeServer(() => json(201, { id: 7, title: 'Deep work' }));
    const client = createApi({ baseUrl: 'http://danwel.test', fetch: server.fetch });
    const block = await data<{ id: number }>(
      client.POST('/api/v1/organizations/{organizationId}/time-blocks', {
        params: { path: { organizationId: 3 } },
        body: {
          title: 'Deep work',
          start_time: '2026-11-24T09:00:00+01:00',
          end_time: '2026-11-24T10:00:00+01:00',
          is_billable: false,
        },
      }),
    );
    expect(block.id).toBe(7);
    const request = server.seen[0];
    expect(request.url).toBe('http://danwel.test/api/v1/organizations/3/time-blocks');
    expect(request.headers.get('authorization')).toBe('Bearer tok_abc');
    expect(await request.json()).toMatchObject({ title: 'Deep work' });
  });

  it('turns a 422 problem into field errors', async () => {
    const server = fakeServer(() =>
      json(
        422,
        { status: 422, title: 'Unprocessable Entity', errors: { end_time: ['must be after start'] } },
        'application/problem+json',
      ),
    );
    const client = createApi({ baseUrl: 'http://danwel.test', fetch: server.fetch });
    const failure = await client
      .PATCH('/api/v1/organizations/{organizationId}/time-blocks/{timeBlockId}', {
        params: { path: { organizationId: 1, timeBlockId: 2 } },
        body: { end_time: '2026-11-24T08:00:00Z' },
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(422);
    expect((failure as ApiError).fieldErrors('end_time')).toEqual(['must be after start']);
    expect((failure as ApiError).fieldErrors('title')).toEqual([]);
  });

  it('keeps the conflicting ids of a 409 overlap', async () => {
    const server = fakeServer(() =>
      json(409, { status: 409, title: 'Conflict', detail: 'Overlaps', conflicting_block_ids: [4] }),
    );
    const client = createApi({ baseUrl: 'http://danwel.test', fetch: server.fetch });
    const failure = (await client
      .DELETE('/api/v1/organizations/{organizationId}/time-blocks/{timeBlockId}', {
        params: { path: { organizationId: 1, timeBlockId: 2 } },
      })
      .catch((e: unknown) => e)) as ApiError;
    expect(failure.message).toBe('Overlaps');
    expect(failure.problem.conflicting_block_ids).toEqual([4]);
  });

  it('survives an error body that is not JSON and reports 401 to the session', async () => {
    let signedOut = 0;
    const server = fakeServer(() => new Response('<html>nope</html>', { status: 401 }));
    const client = createApi({
      baseUrl: 'http://danwel.test',
      fetch: server.fetch,
      onUnauthorized: () => signedOut++,
    });
    const failure = (await client.GET('/api/v1/me').catch((e: unknown) => e)) as ApiError;
    expect(failure.status).toBe(401);
    expect(signedOut).toBe(1);
  });

  it('follows cursors until the last page', async () => {
    const pages: Record<string, { data: number[]; next_cursor: string | null }> = {
      start: { data: [1, 2], next_cursor: 'b' },
      b: { data: [3], next_cursor: null },
    };
    const seen: (string | undefined)[] = [];
    const all = await allPages(async (cursor) => {
      seen.push(cursor);
      return pages[cursor ?? 'start'];
    });
    expect(all).toEqual([1, 2, 3]);
    expect(seen).toEqual([undefined, 'b']);
  });
});

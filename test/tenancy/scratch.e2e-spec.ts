import { bootApp, TestApp } from '../support/app';

describe('scratch', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(() => t.close());
  it('dumps', async () => {
    const express = t.app.getHttpAdapter().getInstance();
    const stack = express.router.stack;
    for (const l of stack) {
      if (l.name === 'router')
        console.log(
          'router',
          l.rawPath,
          l.slash,
          l.handle.stack?.length,
          l.handle.stack?.map((x: any) => x.route?.path ?? x.name),
        );
      if (l.route && l.route.path.startsWith('/health'))
        console.log(
          l.route.path,
          l.rawPath,
          JSON.stringify(l.route.methods).slice(0, 80),
          l.route.stack.map((s: any) => s.name + ':' + s.method),
        );
    }
  });
});

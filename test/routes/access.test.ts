// Keys, scopes, organizations and rate limits, as a newsroom bot meets them.
import t from 'tap';
import { AUTH, buildTestServer, get, submit, waitForCheck } from '../helpers/app.js';
import { startMediaServer } from '../helpers/media-server.js';

type App = Awaited<ReturnType<typeof buildTestServer>>['app'];

async function createKey(app: App, body: object, headers = AUTH) {
  const res = await app.inject({ method: 'POST', url: '/v1/admin/keys', payload: body, headers });
  return {
    res,
    key: res.json().key as string,
    bearer: { authorization: `Bearer ${res.json().key as string}` },
  };
}

t.test('401 without a key, 401 with an unknown one, 403 without the scope', async (t) => {
  const { app } = await buildTestServer(t);
  const none = await app.inject({
    method: 'POST',
    url: '/v1/checks',
    payload: { url: 'https://a.example/x.jpg' },
  });
  t.match(none.json(), { statusCode: 401, code: 'unauthorized' });
  const wrong = await submit(
    app,
    { url: 'https://a.example/x.jpg' },
    { authorization: 'Bearer fsk_not_a_real_key_at_all' },
  );
  t.match(wrong.json(), { statusCode: 401, code: 'unauthorized' });

  const reader = await createKey(app, { name: 'reader', scopes: ['read'] });
  t.equal(reader.res.statusCode, 201);
  t.match(reader.key, /^fsk_/);
  const denied = await submit(app, { url: 'https://a.example/x.jpg' }, reader.bearer);
  t.match(denied.json(), { statusCode: 403, code: 'forbidden' });
  const viaHeader = await get(app, '/v1/checks/chk_nothing', { authorization: '', 'x-api-key': reader.key });
  t.equal(viaHeader.statusCode, 404, 'X-API-Key works too, and read is allowed');
  const notAdmin = await createKey(app, { name: 'x', scopes: ['read'] }, reader.bearer);
  t.equal(notAdmin.res.statusCode, 403);
});

t.test('a newsroom cannot read another newsroom’s checks', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t);
  const a = await createKey(app, { name: 'bot a', org: 'newsroom-a', scopes: ['submit', 'read'] });
  const b = await createKey(app, { name: 'bot b', org: 'newsroom-b', scopes: ['submit', 'read'] });
  const url = `${media.base}/c2pa/CA.jpg`;
  const subA = await submit(app, { url }, a.bearer);
  t.equal(subA.statusCode, 202);
  const id = subA.json().id as string;
  t.equal((await get(app, `/v1/checks/${id}`, a.bearer)).statusCode, 200);
  t.match((await get(app, `/v1/checks/${id}`, b.bearer)).json(), { statusCode: 404, code: 'not_found' });
  const subB = await submit(app, { url }, b.bearer);
  t.not(
    subB.json().id,
    id,
    'the same URL from another newsroom is its own check (dedup is per organization)',
  );
  t.equal(subB.statusCode, 202);
  t.equal(
    (await get(app, `/v1/checks/${id}`)).statusCode,
    404,
    'the operator’s key is of another organization too',
  );
  t.equal((await waitForCheck(app, id, 30000, a.bearer)).status, 'done');
  await waitForCheck(app, subB.json().id, 30000, b.bearer);
});

t.test('key management: list without secrets, revoke, organization boundaries', async (t) => {
  const { app } = await buildTestServer(t);
  const admin = await createKey(app, { name: 'newsroom admin', org: 'newsroom-a', scopes: ['admin'] });
  const bot = await createKey(app, { name: 'bot', scopes: ['submit'] }, admin.bearer);
  t.equal(bot.res.json().org, 'newsroom-a', 'keys default to the creator’s organization');
  const other = await createKey(app, { name: 'sneaky', org: 'newsroom-b', scopes: ['read'] }, admin.bearer);
  t.match(other.res.json(), { statusCode: 403, code: 'forbidden' });

  const list = await get(app, '/v1/admin/keys', admin.bearer);
  t.equal(list.statusCode, 200);
  t.same(
    list
      .json()
      .keys.map((k: { name: string }) => k.name)
      .sort(),
    ['bot', 'newsroom admin'],
  );
  t.notMatch(list.body, /fsk_/, 'no key is ever listed');

  const id = bot.res.json().id as string;
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/admin/keys/${id}`, headers: admin.bearer })).statusCode,
    204,
  );
  const revoked = await submit(app, { url: 'https://a.example/x.jpg' }, bot.bearer);
  t.match(revoked.json(), { statusCode: 401, code: 'unauthorized' });
});

t.test('rate limits per organization, with the usual headers', async (t) => {
  const { app } = await buildTestServer(t, { RATE_LIMIT_PER_MINUTE: '5' });
  // Two requests of the operator's organization: its keys' limit is shared.
  const other = await createKey(app, { name: 'b', org: 'newsroom-b', scopes: ['read'] });
  const second = await createKey(app, { name: 'another key of the operator', scopes: ['read'] });
  const res = [];
  for (let i = 0; i < 2; i++) res.push(await get(app, '/v1/checks/chk_nothing'));
  res.push(await get(app, '/v1/checks/chk_nothing', second.bearer));
  res.push(await get(app, '/v1/checks/chk_nothing'));
  t.same(
    res.map((r) => r.statusCode),
    [404, 404, 404, 429],
    'a second key of the same organization buys no more requests',
  );
  t.equal(
    (await get(app, '/v1/checks/chk_nothing', other.bearer)).statusCode,
    404,
    'another organization has its own limit',
  );
  t.equal(res[0]?.headers['x-ratelimit-limit'], '5');
  t.match(res[3]?.json(), { statusCode: 429, code: 'rate_limited' });
  t.ok(Number(res[3]?.headers['retry-after']) > 0, 'Retry-After');
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'health is never rate limited');
});

t.test('with AUTH_REQUIRED=false, callers need no key (local demos)', async (t) => {
  const { app } = await buildTestServer(t, { AUTH_REQUIRED: 'false' });
  const res = await app.inject({ url: '/v1/checks/chk_nothing' });
  t.equal(res.statusCode, 404);
});

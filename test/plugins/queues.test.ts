// The API's queues talk to Redis on a connection of their own. BullMQ defines its Lua scripts on the
// connection it is given, and ioredis copies every defined command onto each pipeline and MULTI made
// from that connection (~35 µs of CPU each): the routes' own pipelines on app.redis must not carry them.
import t from 'tap';
import { buildTestServer, submit, waitForCheck } from '../helpers/app.js';
import { startMediaServer } from '../helpers/media-server.js';
import { fixture } from '../helpers/images.js';

/** The commands defined on an ioredis connection with defineCommand (ioredis keeps them in scriptsSet). */
const defined = (redis: object): string[] =>
  Object.keys((redis as { scriptsSet?: Record<string, unknown> }).scriptsSet ?? {});

t.test('a check goes through the queue, and app.redis defines no BullMQ script', async (t) => {
  const { app } = await buildTestServer(t);
  const media = await startMediaServer(t, {
    '/a.jpg': (_q, r) =>
      r.writeHead(200, { 'content-type': 'image/jpeg' }).end(fixture('exif-samples/jpg/gps/DSCN0010.jpg')),
  });
  const res = await submit(app, { url: `${media.base}/a.jpg` });
  t.equal(res.statusCode, 202);
  t.equal((await waitForCheck(app, res.json().id)).status, 'done');
  // The check went through BullMQ (added by the API, taken by a worker). app.redis keeps our own few
  // scripts (rate limits, media records); BullMQ 6 names its ~64 `<script>:<its version>`.
  const bullmq = defined(app.redis).filter((name) => /^\w+:\d+\.\d+\.\d+/.test(name));
  t.same(bullmq, [], 'app.redis defines no BullMQ script');
  t.ok(defined(app.redis).includes('rateLimit'), 'our own scripts are there, so the reading is right');
});

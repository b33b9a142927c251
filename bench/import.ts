// `npm run bench:import`: a bulk import of 1 million hash rows into a bank through the real API, as a
// client sends it: the app is built with buildService (ROLE=api, its own key prefix) in this process, a
// bank is created, and CSV chunks (`pdq,quality,label`, 50,000 rows, a few MiB each, under the 32 MiB
// limit) are POSTed one after the other to /v1/banks/:id/import with HTTP inject. Then:
//   - total time and rows/s (request time only; generating the CSV is left out), per chunk as it goes;
//   - Redis memory: INFO used_memory before and after (the Redis may be shared: other keys move it too),
//     and MEMORY USAGE of the index stream and of sampled entry hashes (this import's own keys);
//   - planted rows are found by app.memory.hashes.queryPdq (exactly and 12 bits away) and by POST /v1/lookup;
//   - a second index instance loads the stream from scratch (what another API or worker process does at
//     start after the import);
//   - the API's event loop delay during the import (what other requests, /v1/lookup included, wait);
//   - where one chunk's time goes: CSV parsing, the entry hashes' pipeline, the index's addMany;
//   - deleting a bank of 10,000 entries (DELETE /v1/banks/:id removes them in the background), timed.
// Every key of the prefix is deleted at the end, even on failure.
// Env: BENCH_IMPORT_ROWS (1000000), BENCH_IMPORT_CHUNK (50000), BENCH_IMPORT_DELETE_ROWS (10000), REDIS_URL.
import { randomBytes, randomInt } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { createHashIndex } from '../src/memory/hash-index/hash-index.js';
import { keys } from '../src/keys.js';
import { buildService } from '../workers/index.js';
import { parseHashCsv } from '../src/services/hash-csv.js';
import { machine, writeResult } from './lib.js';
import { indexId } from '../src/memory/index-ids.js';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const CHUNK = Number(process.env.BENCH_IMPORT_CHUNK ?? 50_000);
const DELETE_ROWS = Number(process.env.BENCH_IMPORT_DELETE_ROWS ?? 10_000);
/**
 * The bank imported into: `debunked` (and `watchlist`) banks look every row up among the images seen, to
 * announce it to the checks that saw its picture (src/services/bank-announcements.ts); `archive` does not.
 */
const KIND = process.env.BENCH_IMPORT_KIND ?? 'debunked';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `bench_import_${process.pid}_${randomBytes(3).toString('hex')}`;
const API_KEY = 'fsk_bench_import_bootstrap_key_01';
const AUTH = { authorization: `Bearer ${API_KEY}` };
const PLANTED = 8;
const MiB = 2 ** 20;

const say = (msg: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** `hex` with `d` distinct bits flipped. */
function flip(hex: string, d: number): string {
  const buf = Buffer.from(hex, 'hex');
  const bits = new Set<number>();
  while (bits.size < d) bits.add(randomInt(buf.length * 8));
  for (const b of bits) buf[b >> 3] = (buf[b >> 3] as number) ^ (0x80 >> (b & 7));
  return buf.toString('hex');
}

/** Rows `from`..`to`-1 as CSV with a header; planted rows' hashes are remembered. */
function chunkCsv(from: number, to: number, planted: Map<number, string>): string {
  const lines = ['pdq,quality,label'];
  // One random buffer per chunk: 32 bytes (a PDQ hash) per row.
  const pool = randomBytes((to - from) * 32);
  for (let i = from; i < to; i++) {
    const pdq = pool.toString('hex', (i - from) * 32, (i - from + 1) * 32);
    if (planted.has(i)) planted.set(i, pdq);
    lines.push(`${pdq},${50 + (i % 51)},bench item ${i}`);
  }
  return lines.join('\n') + '\n';
}

type App = Awaited<ReturnType<typeof buildService>>;

/** Requests answered 503 (the API sheds load while its event loop lags) and retried, as a client would. */
let retries503 = 0;

/** app.inject, retried after 503 (up to 40 times, 250 ms apart) like a well-behaved client. */
async function request(app: App, opts: InjectOptions) {
  for (let attempt = 0; ; attempt++) {
    const res = await app.inject(opts);
    if (res.statusCode !== 503 || attempt >= 40) return res;
    retries503++;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function timedLookup(app: App, pdq: string) {
  const t = performance.now();
  const res = await request(app, {
    method: 'POST',
    url: '/v1/lookup',
    headers: AUTH,
    payload: { pdq, quality: 90 },
  });
  if (res.statusCode !== 200) throw new Error(`lookup: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return { res, ms: performance.now() - t };
}

async function redisMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Deletes every key of a prefix: firstseen's own (`p:*`) and BullMQ's (`{p}:*`), as the tests do. */
async function removePrefix(redis: Redis, prefix: string): Promise<number> {
  let removed = 0;
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      if (found.length) removed += await redis.unlink(...found);
    } while (cursor !== '0');
  }
  return removed;
}

async function main() {
  const redis = new Redis(REDIS_URL);
  const k = keys(PREFIX);
  const config = loadConfig({
    ROLE: 'api',
    REDIS_URL,
    KEY_PREFIX: PREFIX,
    BOOTSTRAP_API_KEY: API_KEY,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
    WAYBACK_ENABLED: 'false',
  });
  const loadStart = loadavg().map((x) => round(x, 2));
  const memBefore = await redisMemory(redis);
  const app = await buildService(config);
  try {
    await app.ready();
    const created = await request(app, {
      method: 'POST',
      url: '/v1/banks',
      headers: AUTH,
      payload: { name: 'bench import', kind: KIND },
    });
    if (created.statusCode !== 201) throw new Error(`create bank: ${created.statusCode} ${created.body}`);
    const bankId = created.json<{ id: string }>().id;
    say(`${KIND} bank ${bankId} (prefix ${PREFIX}); ${ROWS} rows in chunks of ${CHUNK}`);

    // Planted rows, spread over the import (one in the first chunk, one in the last).
    const planted = new Map<number, string>([
      [0, ''],
      [ROWS - 1, ''],
    ]);
    while (planted.size < Math.min(PLANTED, ROWS)) planted.set(randomInt(ROWS), '');
    // Generated first, so that neither the timings nor the event loop figures include it.
    const g0 = performance.now();
    const bodies: Array<{ from: number; to: number; csv: string }> = [];
    for (let from = 0; from < ROWS; from += CHUNK) {
      const to = Math.min(ROWS, from + CHUNK);
      bodies.push({ from, to, csv: chunkCsv(from, to, planted) });
    }
    const generateMs = performance.now() - g0;

    // A lookup before the import, for comparison with those after it.
    const warm = await timedLookup(app, randomBytes(32).toString('hex'));
    const retriesAtStart = retries503;

    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const chunks: Array<{ rows: number; mib: number; ms: number; retries: number }> = [];
    let requestMs = 0;
    let bodyBytes = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const { from, to, csv } of bodies) {
      bodyBytes += Buffer.byteLength(csv);
      const retriesBefore = retries503;
      const c0 = performance.now();
      const res = await request(app, {
        method: 'POST',
        url: `/v1/banks/${bankId}/import`,
        headers: { ...AUTH, 'content-type': 'text/csv' },
        payload: csv,
      });
      const ms = performance.now() - c0;
      const retries = retries503 - retriesBefore;
      const body = res.json<{ imported: number; rejected: number; entries: number }>();
      if (res.statusCode !== 200 || body.imported !== to - from || body.rejected !== 0)
        throw new Error(`import ${from}..${to}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      requestMs += ms;
      chunks.push({
        rows: to - from,
        mib: round(Buffer.byteLength(csv) / MiB, 2),
        ms: Math.round(ms),
        retries,
      });
      say(
        `${to.toLocaleString('en')} rows: chunk ${Math.round(ms)} ms (${Math.round(((to - from) / ms) * 1000)} rows/s), overall ${Math.round((to / requestMs) * 1000)} rows/s${retries ? `, ${retries} retries after 503` : ''}`,
      );
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    loopDelay.disable();
    bodies.length = 0;
    // This process's index follows the stream too: wait until it has read back the last record written.
    const [[lastId] = ['']] = await redis.xrevrange(k.indexStream(), '+', '-', 'COUNT', 1);
    const c0 = performance.now();
    while (app.memory.hashes.stats().lastStreamId !== lastId) await new Promise((r) => setTimeout(r, 10));
    const catchUpMs = performance.now() - c0;
    const eventLoop = {
      p50_ms: round(loopDelay.percentile(50) / 1e6),
      p99_ms: round(loopDelay.percentile(99) / 1e6),
      max_ms: round(loopDelay.max / 1e6),
    };
    const bank = (await request(app, { method: 'GET', url: `/v1/banks/${bankId}`, headers: AUTH })).json<{
      entries: number;
    }>();
    say(
      `imported ${ROWS} rows in ${round(requestMs / 1000)} s of requests, ${round(cpuMs / 1000)} s of CPU in this process (load ${loadavg()[0]?.toFixed(1)}) (${Math.round((ROWS / requestMs) * 1000)} rows/s; ${round(wallMs / 1000)} s wall, CSV generated beforehand in ${round(generateMs / 1000)} s); bank entries ${bank.entries}; ${retries503 - retriesAtStart} import requests retried after 503 (${retriesAtStart} at start-up); event loop delay during the import p50 ${eventLoop.p50_ms} ms, p99 ${eventLoop.p99_ms} ms, max ${eventLoop.max_ms} ms; the index tail caught up ${Math.round(catchUpMs)} ms after the last answer`,
    );

    // Memory.
    const memAfter = await redisMemory(redis);
    const streamBytes = Number(await redis.call('MEMORY', 'USAGE', k.indexStream(), 'SAMPLES', '0'));
    const sampleIds = Array.from({ length: 200 }, () => `e${randomInt(1, ROWS + 1)}`);
    const sampled = await Promise.all(
      sampleIds.map((id) => redis.call('MEMORY', 'USAGE', k.bankEntry(bankId, id)) as Promise<number>),
    );
    const entryBytes = sampled.reduce((a, b) => a + Number(b), 0) / sampled.length;
    const stats = app.memory.hashes.stats();
    const memory = {
      redis_used_memory_before_mib: round(memBefore / MiB),
      redis_used_memory_after_mib: round(memAfter / MiB),
      redis_growth_mib: round((memAfter - memBefore) / MiB),
      redis_growth_bytes_per_row: Math.round((memAfter - memBefore) / ROWS),
      index_stream_mib: round(streamBytes / MiB),
      index_stream_bytes_per_row: Math.round(streamBytes / ROWS),
      entry_hash_bytes_sampled: Math.round(entryBytes),
      entry_hashes_mib_estimated: round((entryBytes * ROWS) / MiB),
      api_index_mib: round(stats.bytes / MiB),
      api_rss_mib: round(process.memoryUsage().rss / MiB),
    };
    say(
      `Redis used_memory ${memory.redis_used_memory_before_mib} -> ${memory.redis_used_memory_after_mib} MiB (+${memory.redis_growth_mib} MiB, ${memory.redis_growth_bytes_per_row} B/row): index stream ${memory.index_stream_mib} MiB (${memory.index_stream_bytes_per_row} B/row), entry hashes ~${memory.entry_hashes_mib_estimated} MiB (${memory.entry_hash_bytes_sampled} B each); API process: index ${memory.api_index_mib} MiB in memory, RSS ${memory.api_rss_mib} MiB`,
    );

    // Planted rows: found by the index and by /v1/lookup.
    const checks = [];
    for (const [row, pdq] of planted) {
      const id = indexId.bank(bankId, `e${row + 1}`);
      const near = flip(pdq, 12);
      const q0 = performance.now();
      const exact = app.memory.hashes.queryPdq([pdq]);
      const close = app.memory.hashes.queryPdq([near]);
      const queryMs = (performance.now() - q0) / 2;
      const { res, ms: lookupMs } = await timedLookup(app, near);
      const matches = res.json<{
        matches: Array<{ distance: number; bank: { entry_id: string; label: string } | null }>;
      }>().matches;
      const viaApi = matches.find((m) => m.bank?.entry_id === `e${row + 1}`);
      const check = {
        row,
        index_exact: exact.some((h) => h.id === id && h.distance === 0),
        index_12_bits: close.some((h) => h.id === id && h.distance === 12),
        lookup_12_bits:
          res.statusCode === 200 && viaApi?.distance === 12 && viaApi.bank?.label === `bench item ${row}`,
        other_hits: exact.length - 1,
        query_ms: round(queryMs, 2),
        lookup_ms: round(lookupMs),
      };
      checks.push(check);
    }
    const allFound = checks.every((c) => c.index_exact && c.index_12_bits && c.lookup_12_bits);
    say(
      `lookup before the import ${round(warm.ms)} ms; planted rows: ${checks.filter((c) => c.index_exact && c.index_12_bits && c.lookup_12_bits).length}/${checks.length} found (queryPdq exact and 12 bits away, /v1/lookup 12 bits away; queryPdq ${checks.map((c) => c.query_ms).join(', ')} ms; /v1/lookup ${checks.map((c) => c.lookup_ms).join(', ')} ms)`,
    );

    // Another process's view: a fresh index loads the stream from the start.
    const loader = new Redis(REDIS_URL);
    const fresh = createHashIndex({ redis: loader, keys: k, log: pino({ level: 'silent' }) });
    const l0 = performance.now();
    await fresh.start();
    const coldLoadMs = performance.now() - l0;
    const freshSize = fresh.size();
    await fresh.close();
    loader.disconnect();
    say(`a fresh index loads the stream in ${Math.round(coldLoadMs)} ms (${freshSize} live entries)`);

    // Where one chunk's time goes, phase by phase, on a throwaway bank (same code, called directly).
    const breakdown = await phases(app, CHUNK);
    const deleted = await deletion(app, DELETE_ROWS);
    say(
      `one chunk of ${CHUNK} rows, by phase: parse ${breakdown.parse_ms} ms, entry hashes pipeline ${breakdown.entry_pipeline_ms} ms, index addMany ${breakdown.index_add_many_ms} ms; whole request ${breakdown.request_ms} ms`,
    );
    say(
      `DELETE of a bank of ${deleted.rows} entries: answered in ${deleted.answered_ms} ms, ${deleted.removed} removed from the index in ${deleted.ms} ms (${deleted.per_second}/s${deleted.finished ? '' : ', not finished'}), i.e. ${Math.round(ROWS / deleted.per_second)} s for ${ROWS}`,
    );

    const file = writeResult('import', {
      machine: machine(),
      load_average_at_start: loadStart,
      rows: ROWS,
      chunk_rows: CHUNK,
      bank_kind: KIND,
      cpu_seconds: round(cpuMs / 1000),
      body_mib: round(bodyBytes / MiB),
      request_seconds: round(requestMs / 1000),
      wall_seconds: round(wallMs / 1000),
      rows_per_second: Math.round((ROWS / requestMs) * 1000),
      retries_after_503: { start_up: retriesAtStart, import: retries503 - retriesAtStart },
      generate_seconds: round(generateMs / 1000),
      tail_catch_up_ms: Math.round(catchUpMs),
      lookup_before_import_ms: round(warm.ms),
      event_loop_delay: eventLoop,
      bank_entries: bank.entries,
      memory,
      planted: checks,
      all_planted_found: allFound,
      cold_load_ms: Math.round(coldLoadMs),
      breakdown,
      bank_delete: deleted,
      chunks,
    });
    say(`wrote ${file}`);
    if (!allFound || bank.entries !== ROWS) process.exitCode = 1;
  } finally {
    await app.close();
    const removed = await removePrefix(redis, PREFIX);
    say(
      `removed ${removed} keys of ${PREFIX}; Redis used_memory now ${round((await redisMemory(redis)) / MiB)} MiB`,
    );
    redis.disconnect();
  }
}

/**
 * One chunk imported again on a second bank, phase by phase with the service's own functions: what the
 * import route does (parseHashCsv, then banks.addEntries per 5,000 rows = an HSET pipeline and the index's
 * addMany), timed apart. The HSET pipeline is issued as addEntries issues it.
 */
async function phases(app: App, rows: number) {
  const planted = new Map<number, string>();
  const csv = chunkCsv(0, rows, planted);
  const created = await request(app, {
    method: 'POST',
    url: '/v1/banks',
    headers: AUTH,
    payload: { name: 'bench import phases', kind: 'archive' },
  });
  const bankId = created.json<{ id: string }>().id;
  const k = keys(PREFIX);

  let t = performance.now();
  const parsed = parseHashCsv(csv);
  const parseMs = performance.now() - t;

  let pipelineMs = 0;
  let addManyMs = 0;
  for (let i = 0; i < parsed.rows.length; i += 5000) {
    const batch = parsed.rows.slice(i, i + 5000);
    t = performance.now();
    const pipe = app.redis.pipeline();
    batch.forEach((row, j) => {
      pipe.hset(k.bankEntry(bankId, `p${i + j}`), {
        label: row.label,
        verdict: row.verdict ?? '',
        source_url: row.source_url ?? '',
        first_published: row.first_published ?? '',
        pdq: row.pdq ?? '',
        quality: row.quality ?? '',
        phash: row.phash ?? '',
        sha256: row.sha256 ?? '',
      });
    });
    await pipe.exec();
    pipelineMs += performance.now() - t;
    t = performance.now();
    await app.memory.hashes.addMany(
      batch.map((row, j) => ({
        id: indexId.bank(bankId, `p${i + j}`),
        ...(row.pdq && { pdq: row.pdq }),
        ...(row.quality !== null && { quality: row.quality }),
      })),
    );
    addManyMs += performance.now() - t;
  }

  // The same chunk (fresh hashes) through the route, for comparison.
  const again = chunkCsv(0, rows, planted);
  t = performance.now();
  const res = await request(app, {
    method: 'POST',
    url: `/v1/banks/${bankId}/import`,
    headers: { ...AUTH, 'content-type': 'text/csv' },
    payload: again,
  });
  const requestMs = performance.now() - t;
  if (res.statusCode !== 200) throw new Error(`phases import: ${res.statusCode}`);

  return {
    rows,
    parse_ms: Math.round(parseMs),
    entry_pipeline_ms: Math.round(pipelineMs),
    index_add_many_ms: Math.round(addManyMs),
    request_ms: Math.round(requestMs),
  };
}

/**
 * DELETE /v1/banks/:id on a bank of `rows` entries: answered at once, the entries then leave the index
 * (one tombstone record each) and Redis in the background. Timed until the index has dropped them all.
 */
async function deletion(app: App, rows: number) {
  const created = await request(app, {
    method: 'POST',
    url: '/v1/banks',
    headers: AUTH,
    payload: { name: 'bench import delete', kind: 'archive' },
  });
  const bankId = created.json<{ id: string }>().id;
  const res = await request(app, {
    method: 'POST',
    url: `/v1/banks/${bankId}/import`,
    headers: { ...AUTH, 'content-type': 'text/csv' },
    payload: chunkCsv(0, rows, new Map()),
  });
  if (res.statusCode !== 200) throw new Error(`delete import: ${res.statusCode}`);
  const sizeBefore = app.memory.hashes.size();
  const t = performance.now();
  const del = await request(app, { method: 'DELETE', url: `/v1/banks/${bankId}`, headers: AUTH });
  if (del.statusCode !== 204) throw new Error(`delete bank: ${del.statusCode}`);
  const answeredMs = performance.now() - t;
  const deadline = t + 120_000;
  while (sizeBefore - app.memory.hashes.size() < rows && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const ms = performance.now() - t;
  const removed = sizeBefore - app.memory.hashes.size();
  return {
    rows,
    answered_ms: Math.round(answeredMs),
    removed,
    finished: removed >= rows,
    ms: Math.round(ms),
    per_second: Math.round((removed / ms) * 1000),
  };
}

await main();

// `npx tsx bench/video.ts` (npm run bench:video): how fast videos are analyzed, as analyzeVideo runs in a
// worker (ffprobe, then ffmpeg decoding and sampling in a child process, PDQ on this process's thread).
//
// Per set, one video at a time (sequential awaits):
//   video s / wall s         seconds of video analyzed per second of wall time
//   video s / CPU s          per core: the same over CPU time, this process and its ffmpeg/ffprobe children
//                            (children's time read from /proc/self/stat cutime+cstime once they exited)
//   frames / s               frames hashed per second of wall time, and per CPU second of hashing
//   decode share             ffmpeg's CPU time (decode, scene detection, scaling, RGB conversion) over all
//                            CPU time; the rest is PDQ, the region search and thumbnails here
// Sets: the reference sample clips (test/fixtures/video/), and a 1080p, 30 fps, one-minute clip generated
// at start with ffmpeg's testsrc2 (libx264). Defaults as production (src/config.ts): 1 decoder thread,
// 1 frame per second plus scene cuts at 0.4, frames hashed at 1024 px.
//
// Env: BENCH_VIDEO_SECONDS (60: length of the generated clip), BENCH_VIDEO_ROUNDS (2: passes per set; the
// figure is the median pass).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config.js';
import { analyzeVideo, type VideoAnalysisOptions } from '../src/pipeline/video/analyze.js';
import { checkVideoTools } from '../src/pipeline/video/tools.js';
import { ROOT, writeResult } from './lib.js';
import { configureSharp } from '../src/sharp-settings.js';

configureSharp(); // as the API and the workers run it

const SECONDS = Number(process.env.BENCH_VIDEO_SECONDS ?? 60);
const ROUNDS = Number(process.env.BENCH_VIDEO_ROUNDS ?? 2);
const config = loadConfig({});
const options: VideoAnalysisOptions = { ...config.video, maxPixels: config.maxInputPixels };
const TICK = 100; // USER_HZ: /proc times are in 1/100 s on Linux

/** CPU seconds of waited-for children (ffmpeg, ffprobe), from /proc/self/stat. */
function childrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: field 3 is index 0, so cutime (16) and cstime (17) are 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / TICK;
}
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Pass {
  videoSeconds: number;
  frames: number;
  wall: number;
  cpu: number;
  childCpu: number;
  hashMs: number;
}

async function pass(videos: ReadonlyArray<{ name: string; bytes: Buffer; seconds: number }>): Promise<Pass> {
  const p: Pass = { videoSeconds: 0, frames: 0, wall: 0, cpu: 0, childCpu: 0, hashMs: 0 };
  for (const v of videos) {
    const c0 = childrenCpu();
    const o0 = ownCpu();
    const t0 = performance.now();
    const r = await analyzeVideo(v.bytes, '0'.repeat(64), options, null);
    p.wall += (performance.now() - t0) / 1000;
    const child = childrenCpu() - c0;
    p.childCpu += child;
    p.cpu += ownCpu() - o0 + child;
    p.frames += r.video.frames_hashed;
    p.videoSeconds += Math.min(v.seconds, options.maxSeconds);
    p.hashMs += r.timings_ms.video_hash ?? 0;
  }
  return p;
}

function figures(passes: Pass[]) {
  const median = <T>(xs: T[], key: (x: T) => number) => {
    const s = xs.map(key).sort((a, b) => a - b);
    return s[(s.length - 1) >> 1] as number;
  };
  const r = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  const first = passes[0] as Pass;
  return {
    video_seconds: r(first.videoSeconds, 1),
    frames: first.frames,
    video_s_per_wall_s: r(median(passes, (p) => p.videoSeconds / p.wall)),
    video_s_per_cpu_s: r(median(passes, (p) => p.videoSeconds / p.cpu)),
    frames_per_wall_s: r(
      median(passes, (p) => p.frames / p.wall),
      1,
    ),
    frames_per_hash_cpu_s: r(
      median(passes, (p) => p.frames / (p.hashMs / 1000)),
      1,
    ),
    decode_share_of_cpu: r(median(passes, (p) => p.childCpu / p.cpu)),
    wall_s: r(median(passes, (p) => p.wall)),
    cpu_s: r(median(passes, (p) => p.cpu)),
  };
}

async function main() {
  const tools = await checkVideoTools(options);
  if (!tools.available) throw new Error(`bench:video needs ffmpeg: ${tools.problem}`);
  const dir = resolve(ROOT, 'test', 'fixtures', 'video');
  const probeSeconds = (file: string) =>
    Number(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], {
        encoding: 'utf8',
      }).trim(),
    );
  const samples = readdirSync(dir)
    .filter((f) => f.endsWith('.mp4'))
    .sort()
    .map((f) => ({ name: f, bytes: readFileSync(join(dir, f)), seconds: probeSeconds(join(dir, f)) }));

  const tmp = mkdtempSync(join(tmpdir(), 'firstseen-bench-video-'));
  let generated: { name: string; bytes: Buffer; seconds: number };
  try {
    const out = join(tmp, 'hd.mp4');
    const g0 = performance.now();
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=1920x1080:rate=30:duration=${SECONDS}`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      out,
    ]);
    console.log(`generated a ${SECONDS} s 1080p30 clip in ${Math.round((performance.now() - g0) / 1000)} s`);
    generated = { name: `testsrc2-1080p30-${SECONDS}s`, bytes: readFileSync(out), seconds: SECONDS };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  await pass(samples.slice(0, 1)); // warm-up: JIT, sharp, the page cache
  const result: Record<string, unknown> = {
    ffmpeg: tools.ffmpeg,
    ffprobe: tools.ffprobe,
    options: {
      threads: options.threads,
      sceneThreshold: options.sceneThreshold,
      maxSeconds: options.maxSeconds,
      maxFrames: options.maxFrames,
    },
    load_average: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  for (const [name, set] of [
    ['sample_clips', samples],
    [generated.name, [generated]],
  ] as const) {
    const passes: Pass[] = [];
    for (let i = 0; i < ROUNDS; i++) passes.push(await pass(set));
    result[name] = figures(passes);
    console.log(name, result[name]);
  }
  result.load_average_after = loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(`written to ${writeResult('video', result)}`);
}

await main();

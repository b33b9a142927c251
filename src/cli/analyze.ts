// `firstseen analyze <file>`: the analysis a check runs on a media file, run here on a local file by the
// service's own pipeline (src/pipeline/pipeline.ts `file`, with no memory: no Redis, no network),
// printed as the same summary as a check's or as the report's JSON. The decoders and the configuration
// are loaded only once the file is known to exist.
import { stat } from 'node:fs/promises';
import type { AnalyzeOptions } from './args.js';
import { clean, EXIT, UsageError, type Io } from './io.js';
import { formatReport } from './summary.js';

export async function analyzeCommand(options: AnalyzeOptions, io: Io): Promise<number> {
  const info = await stat(options.file).catch(() => null);
  if (!info) throw new UsageError(`no file ${options.file}`, 'analyze');
  if (!info.isFile()) throw new UsageError(`${options.file} is not a file`, 'analyze');
  const { ConfigError, loadConfig } = await import('../config.js');
  let config;
  try {
    // The thresholds the service would use, from the same variables (and defaults).
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, 'analyze');
    throw err;
  }
  // sharp is loaded for this command only (imported on demand, like the analysis).
  (await import('../sharp-settings.js')).configureSharp();
  const [{ createPipeline }, { createSafeFetcher }, { default: pino }] = await Promise.all([
    import('../pipeline/pipeline.js'),
    import('../net/safe-fetch.js'),
    import('pino'),
  ]);
  // A local file is never fetched; the pipeline holds a fetcher all the same, closed when done.
  const fetcher = createSafeFetcher(config.fetch);
  const report = await createPipeline({
    config,
    memory: null,
    fetcher,
    waybackCache: null,
    thumbnails: null,
    log: pino({ level: 'silent' }),
  })
    .file(options.file)
    .finally(() => fetcher.close());
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const text = formatReport(report, { color: io.settings.color && !!io.stdout.isTTY });
    io.stdout.write(
      `${text}\n\nAnalyzed on this machine: matching against earlier sightings and banks needs the service.\n`,
    );
  }
  const item = report.media[0];
  if (item?.status === 'ok') return EXIT.ok;
  io.stderr.write(
    `firstseen: ${clean(options.file)} could not be analyzed: ${item?.error?.code ?? 'error'}: ${clean(item?.error?.message)}\n`,
  );
  return EXIT.failed;
}

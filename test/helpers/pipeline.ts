// The pipeline as production assembles it (createPipeline), from a test configuration (testConfig:
// the defaults, unless a test overrides a variable) and the test's stand-ins for the outside world.
import pino from 'pino';
import { createPipeline, type PipelineServices } from '../../src/pipeline/pipeline.js';
import { testConfig } from './app.js';

export function testPipeline(
  services: Partial<Omit<PipelineServices, 'config'>> & Pick<PipelineServices, 'fetcher'>,
  env: Record<string, string> = {},
) {
  return createPipeline({
    // A test that gives a Wayback cache wants Wayback lookups (testConfig turns them off).
    config: testConfig({ ...(services.waybackCache && { WAYBACK_ENABLED: 'true' }), ...env }),
    memory: null,
    waybackCache: null,
    thumbnails: null,
    log: pino({ level: 'silent' }),
    ...services,
  });
}

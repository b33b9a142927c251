// The command-line tool's own settings, read from the environment here and nowhere else in src/cli/
// (the service's configuration is src/config.ts; `firstseen analyze` reads the analysis thresholds through
// it). Flags given on the command line win over these.
export interface Settings {
  /** FIRSTSEEN_URL: the service's base URL, or null for the default. */
  serviceUrl: string | null;
  /** FIRSTSEEN_API_KEY, or null when unset or empty. */
  apiKey: string | null;
  /** Colour on a terminal unless NO_COLOR is set (https://no-color.org). */
  color: boolean;
}

export const DEFAULT_SERVICE_URL = 'http://localhost:3000';

export function readSettings(env: Record<string, string | undefined> = process.env): Settings {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : null;
  };
  return {
    serviceUrl: value('FIRSTSEEN_URL'),
    apiKey: value('FIRSTSEEN_API_KEY'),
    color: env.NO_COLOR === undefined || env.NO_COLOR === '',
  };
}

/** What a container healthcheck should ask, given the command line of the imgbatch process. */
export type HealthProbeTarget =
  /** An HTTP service: healthy when GET `url` answers 2xx. */
  | { readonly kind: 'http'; readonly url: string }
  /** Nothing to ask (a worker, a one-off command, or no imgbatch at all): healthy while it runs. */
  | { readonly kind: 'running'; readonly command: string | undefined };

/**
 * Names the imgbatch entry point goes by on a command line: `imgbatch` (the image's and npm's
 * bin link), `imgbatch.js` (bin/ in this repository) and `main.js`/`main.ts` (dist/ and src/).
 */
const ENTRY_NAMES = new Set(['imgbatch', 'imgbatch.js', 'main.js', 'main.ts']);

/** The defaults of the commands' own `--port`/`--host` flags (serve-command.ts). */
const SERVE_DEFAULT_PORT = '8080';
const DEFAULT_HOST = '127.0.0.1';
/** Addresses that mean "every interface"; the probe then uses the loopback address. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The value of `--name value` or `--name=value` among `args`, last one wins as in citty. */
function flagValue(args: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  args.forEach((arg, index) => {
    if (arg === `--${name}`) value = args[index + 1];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  });
  return value;
}

function probeHost(host: string): string {
  if (WILDCARD_HOSTS.has(host)) return DEFAULT_HOST;
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Decides, from the argv of a container's main process (`/proc/1/cmdline`), what proves it
 * healthy: `serve` answers GET /healthz and `simulate` GET /_sim/health on the port and host
 * they were given; a worker and every other command have no endpoint, so running is enough (a
 * crashed worker exits and the restart policy replaces it). An init process in front
 * (`docker run --init`, tini) is skipped because the entry point is found by name.
 */
export function healthProbeTarget(argv: readonly string[]): HealthProbeTarget {
  const entry = argv.findIndex((arg) => ENTRY_NAMES.has(baseName(arg)));
  if (entry === -1) return { kind: 'running', command: undefined };
  const args = argv.slice(entry + 1);
  const command = args.find((arg) => !arg.startsWith('-'));
  const host = probeHost(flagValue(args, 'host') ?? DEFAULT_HOST);
  if (command === 'serve') return { kind: 'http', url: `http://${host}:${flagValue(args, 'port') ?? SERVE_DEFAULT_PORT}/healthz` };
  if (command === 'simulate') {
    // Without --port the simulator picks a free port nobody outside can know.
    const port = flagValue(args, 'port');
    return port === undefined ? { kind: 'running', command } : { kind: 'http', url: `http://${host}:${port}/_sim/health` };
  }
  return { kind: 'running', command };
}

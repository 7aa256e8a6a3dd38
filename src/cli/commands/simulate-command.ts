import { readFile } from 'node:fs/promises';
import { defineCommand } from 'citty';
import { ConfigError } from '../../errors/imgbatch-error.js';
import { createSimulator } from '../../simulator/create-simulator.js';
import { BUILT_IN_CATALOGUE } from '../../models/model-catalogue.js';
import { demoSimulatorOptions } from '../../simulator/demo-simulator-options.js';
import { parseSimulatorOptions } from '../../simulator/simulator-options.js';

export const simulateCommand = defineCommand({
  meta: {
    name: 'simulate',
    description: 'Run the local Azure OpenAI images API simulator (a test and demo tool, not a real service) until SIGINT/SIGTERM.',
  },
  args: {
    port: { type: 'string', description: 'Port (default: a free one)' },
    config: { type: 'string', description: 'JSON file of simulator options (deployments, rates, latency, faults); default: one 60 RPM deployment per model in service' },
  },
  async run({ args }) {
    let options: unknown = demoSimulatorOptions(BUILT_IN_CATALOGUE, Date.now());
    if (args.config !== undefined) {
      try {
        options = JSON.parse(await readFile(args.config, 'utf8'));
      } catch (cause) {
        throw new ConfigError(`--config ${args.config}: ${(cause as Error).message}`, { cause });
      }
    }
    const parsed = parseSimulatorOptions(options);
    const port = args.port === undefined ? parsed.port : Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`--port: "${args.port ?? ''}" is not a port number`);
    const simulator = await createSimulator({ ...parsed, port });
    process.stdout.write(`Azure OpenAI images simulator listening on ${simulator.url}\n`);
    process.stdout.write(`deployments: ${simulator.options.deployments.map((d) => `${d.name} (${d.model}, ${d.ratePerMinute} rpm)`).join(', ')}\n`);
    process.stdout.write(`try: AZURE_OPENAI_ENDPOINT=${simulator.url} AZURE_OPENAI_API_KEY=${simulator.options.apiKeys[0] ?? 'sim-key'} AZURE_OPENAI_DEPLOYMENT_NAME=gpt-image-1-mini imgbatch worker\n`);
    process.stdout.write(`stats: GET ${simulator.url}/_sim/stats\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => {
        resolve();
      });
      process.once('SIGTERM', () => {
        resolve();
      });
    });
    await simulator.close();
  },
});

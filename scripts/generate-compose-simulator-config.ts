// Rewrites deploy/compose/simulator.json and simulator-deployments.yaml after the model table
// or the demo simulator options change: `npx tsx scripts/generate-compose-simulator-config.ts`.
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COMPOSE_CONFIG_DIR,
  formatSimulatorDeployments,
  formatSimulatorOptions,
  SIMULATOR_DEPLOYMENTS_FILE,
  SIMULATOR_OPTIONS_FILE,
} from './compose/compose-simulator-config.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', COMPOSE_CONFIG_DIR);
await writeFile(resolve(dir, SIMULATOR_OPTIONS_FILE), formatSimulatorOptions());
await writeFile(resolve(dir, SIMULATOR_DEPLOYMENTS_FILE), formatSimulatorDeployments());
process.stdout.write(`wrote ${COMPOSE_CONFIG_DIR}/${SIMULATOR_OPTIONS_FILE} and ${COMPOSE_CONFIG_DIR}/${SIMULATOR_DEPLOYMENTS_FILE}\n`);

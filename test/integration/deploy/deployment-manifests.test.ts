import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONFIG_ENV_NAMES, loadConfig } from '../../../src/config/load-config.js';
import { IMAGE_QUEUE_NAME } from '../../../src/job/image-job.js';
import { createKeySpace } from '../../../src/queue/key-space.js';
import { createProducer } from '../../../src/queue/producer.js';
import { LONGEST_CALL_TIMEOUT_S } from '../../helpers/longest-call-timeout.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '../../helpers/redis.js';

const KUBERNETES_DIR = 'deploy/kubernetes';
const CONTAINER_APPS_TEMPLATE = 'deploy/container-apps/imgbatch.json';
/** Container Apps' largest terminationGracePeriodSeconds (https://azureossd.github.io/2024/05/27/Graceful-termination-on-Container-Apps/). */
const CONTAINER_APPS_MAX_GRACE_S = 600;
/**
 * Names read by @azure/identity rather than by imgbatch's loader: DefaultAzureCredential picks a
 * user-assigned managed identity by AZURE_CLIENT_ID. (On AKS the workload identity webhook
 * injects it; on Container Apps the template sets it.)
 */
const IDENTITY_SDK_ENV_NAMES = ['AZURE_CLIENT_ID'];
/** Variables whose values are credentials: they come from a Secret, never from a manifest. */
const SECRET_ENV_NAMES = ['REDIS_URL', 'IMGBATCH_API_TOKEN', 'AZURE_OPENAI_API_KEY', 'AZURE_STORAGE_CONNECTION_STRING'];

/** The Redis list BullMQ 6 keeps a queue's waiting jobs in: "<BullMQ prefix>:<queue>:wait" (bullmq src/classes/queue-keys.ts). */
function waitingListKey(redisPrefix: string): string {
  return `${createKeySpace(redisPrefix).bullPrefix}:${IMAGE_QUEUE_NAME}:wait`;
}

interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
}
interface Container {
  readonly name: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string }[];
}
interface PodSpec {
  readonly serviceAccountName?: string;
  readonly terminationGracePeriodSeconds?: number;
  readonly containers: readonly Container[];
  readonly volumes?: readonly { readonly name: string; readonly configMap?: { readonly name: string } }[];
}
interface Resource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly annotations?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
}
interface Deployment extends Resource {
  readonly spec: { readonly template: { readonly metadata: { readonly labels: Record<string, string> }; readonly spec: PodSpec } };
}

async function parseYamlFile(path: string): Promise<unknown[]> {
  const docs = parseAllDocuments(await readFile(path, 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  const errors = list.flatMap((doc) => doc.errors.map((error) => `${path}: ${error.message}`));
  if (errors.length > 0) throw new Error(errors.join('\n'));
  return list.map((doc) => doc.toJS() as unknown).filter((doc) => doc !== null);
}

describe('deployment files for Kubernetes and Azure Container Apps', () => {
  let resources: Resource[];
  let work: string;

  function find(kind: string, name: string): Resource {
    const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind} ${name} in ${KUBERNETES_DIR}`);
    return found;
  }

  function deployment(name: string): Deployment {
    return find('Deployment', name) as Deployment;
  }

  /** loadConfig as a container with this env and the config file would run it. */
  function configFor(env: Record<string, string>, configFile: string): ReturnType<typeof loadConfig> {
    return loadConfig({ env: { ...env, IMGBATCH_CONFIG: resolve(configFile) }, cwd: work });
  }

  /** The literal env of a container, secrets replaced by placeholders of the right shape. */
  function envOf(container: Container): Record<string, string> {
    const placeholders: Record<string, string> = { REDIS_URL: 'rediss://:secret@redis.example:6380', IMGBATCH_API_TOKEN: 'placeholder-token-0123456789' };
    return Object.fromEntries((container.env ?? []).map((v) => [v.name, v.value ?? placeholders[v.name] ?? 'placeholder']));
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'imgbatch-manifests-'));
    const files = (await readdir(KUBERNETES_DIR)).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml' && name !== 'imgbatch.yaml');
    resources = (await Promise.all(files.map((name) => parseYamlFile(join(KUBERNETES_DIR, name))))).flat() as Resource[];
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe('Kubernetes', () => {
    it('parses, and the kustomization names every file beside it', async () => {
      const [kustomization] = (await parseYamlFile(join(KUBERNETES_DIR, 'kustomization.yaml'))) as { resources: string[]; configMapGenerator: { name: string; files: string[] }[] }[];
      const listed = [...(kustomization?.resources ?? []), ...(kustomization?.configMapGenerator ?? []).flatMap((g) => g.files), 'kustomization.yaml'];
      expect(listed.sort()).toEqual((await readdir(KUBERNETES_DIR)).sort());
      expect(resources.map((r) => `${r.kind}/${r.metadata.name}`).sort()).toEqual([
        'Deployment/imgbatch-api',
        'Deployment/imgbatch-worker',
        'Namespace/imgbatch',
        'ScaledObject/imgbatch-worker',
        'Service/imgbatch-api',
        'ServiceAccount/imgbatch',
        'TriggerAuthentication/imgbatch-redis',
      ]);
    });

    it('gives workers a grace period a minute longer than the longest image call, so scale-in never kills a paid call', () => {
      const worker = deployment('imgbatch-worker');
      const container = worker.spec.template.spec.containers[0];
      if (container === undefined) throw new Error('the worker Deployment has no container');
      const config = configFor(envOf(container), join(KUBERNETES_DIR, 'imgbatch.yaml'));
      const longestCallS = Math.max(LONGEST_CALL_TIMEOUT_S, (config.worker.timeoutMs ?? 0) / 1000);
      expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(longestCallS + 60);
    });

    it('names only environment variables the config loader reads, takes every credential from a Secret, and holds no key', async () => {
      const configText = await readFile(join(KUBERNETES_DIR, 'imgbatch.yaml'), 'utf8');
      expect(configText).not.toMatch(/apiKeyEnv|connectionStringEnv/);
      for (const name of ['imgbatch-worker', 'imgbatch-api']) {
        for (const container of deployment(name).spec.template.spec.containers) {
          for (const variable of container.env ?? []) {
            expect(CONFIG_ENV_NAMES, `${name}: ${variable.name}`).toContain(variable.name);
            if (SECRET_ENV_NAMES.includes(variable.name)) {
              expect(variable.value, `${name}: ${variable.name}`).toBeUndefined();
              expect(variable.valueFrom?.secretKeyRef?.name, `${name}: ${variable.name}`).toBe('imgbatch');
            }
          }
          const config = configFor(envOf(container), join(KUBERNETES_DIR, 'imgbatch.yaml'));
          expect(config.deployments.map((d) => d.auth.kind)).toEqual(config.deployments.map(() => 'entra'));
          expect(config.store).toMatchObject({ kind: 'blob', accountUrl: expect.stringMatching(/^https:\/\//) as unknown });
          expect(config.store).not.toHaveProperty('connectionString');
        }
      }
    });

    it('runs workers and the API under a service account with workload identity, reading the config file from the ConfigMap', () => {
      const account = find('ServiceAccount', 'imgbatch');
      expect(account.metadata.annotations?.['azure.workload.identity/client-id']).toMatch(/^[0-9a-f-]{36}$/);
      for (const [name, command] of [
        ['imgbatch-worker', 'worker'],
        ['imgbatch-api', 'serve'],
      ] as const) {
        const { metadata, spec } = deployment(name).spec.template;
        expect(metadata.labels['azure.workload.identity/use'], name).toBe('true');
        expect(spec.serviceAccountName, name).toBe('imgbatch');
        const [container] = spec.containers;
        expect(container?.args?.[0], name).toBe(command);
        const configPath = container?.env?.find((v) => v.name === 'IMGBATCH_CONFIG')?.value ?? '';
        const mount = container?.volumeMounts?.find((m) => m.mountPath === dirname(configPath));
        expect(spec.volumes?.find((v) => v.name === mount?.name)?.configMap?.name, name).toBe('imgbatch-config');
        expect(basename(configPath), name).toBe('imgbatch.yaml');
      }
      // The Service selects the API's pods, and only them.
      const selector = find('Service', 'imgbatch-api').spec?.selector as Record<string, string>;
      expect(deployment('imgbatch-api').spec.template.metadata.labels).toMatchObject(selector);
      expect(deployment('imgbatch-worker').spec.template.metadata.labels).not.toMatchObject(selector);
    });

    it("scales workers on the waiting list of the queue under the workers' prefix, never below one worker", () => {
      const scaled = find('ScaledObject', 'imgbatch-worker');
      const spec = scaled.spec as { scaleTargetRef: { name: string }; minReplicaCount: number; triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[] };
      const worker = deployment('imgbatch-worker');
      expect(spec.scaleTargetRef.name).toBe(worker.metadata.name);
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      const container = worker.spec.template.spec.containers[0];
      if (container === undefined) throw new Error('the worker Deployment has no container');
      const { redisPrefix } = configFor(envOf(container), join(KUBERNETES_DIR, 'imgbatch.yaml'));
      const [trigger] = spec.triggers;
      expect(trigger?.type).toBe('redis');
      expect(trigger?.metadata.listName).toBe(waitingListKey(redisPrefix));
      const auth = find('TriggerAuthentication', trigger?.authenticationRef.name ?? '');
      expect(auth.spec?.secretTargetRef).toEqual([{ parameter: 'password', name: 'imgbatch', key: 'redis-password' }]);
    });
  });

  describe('Azure Container Apps', () => {
    interface ContainerApp {
      readonly type: string;
      readonly name: string;
      readonly identity?: { readonly type: string; readonly userAssignedIdentities: Record<string, unknown> };
      readonly properties: {
        readonly configuration: { readonly secrets: readonly { name: string }[] };
        readonly template: {
          readonly terminationGracePeriodSeconds?: number;
          readonly containers: readonly { args: readonly string[]; env: readonly { name: string; value?: string; secretRef?: string }[]; volumeMounts: readonly { volumeName: string; mountPath: string }[] }[];
          readonly volumes: readonly { name: string; storageType: string; secrets: readonly { secretRef: string; path: string }[] }[];
          readonly scale: { readonly minReplicas: number; readonly rules?: readonly { custom: { type: string; metadata: Record<string, string>; auth: readonly { secretRef: string; triggerParameter: string }[] } }[] };
        };
      };
    }
    interface Template {
      readonly parameters: Record<string, { type: string; defaultValue?: unknown }>;
      readonly resources: readonly ContainerApp[];
    }
    let template: Template;

    function app(command: string): ContainerApp {
      const found = template.resources.find((r) => r.type === 'Microsoft.App/containerApps' && r.properties.template.containers[0]?.args[0] === command);
      if (found === undefined) throw new Error(`${CONTAINER_APPS_TEMPLATE} has no container app running ${command}`);
      return found;
    }

    /** The container's literal env, and its config file: the imgbatchConfig parameter's default, written where IMGBATCH_CONFIG says. */
    async function containerConfig(command: string): Promise<ReturnType<typeof loadConfig>> {
      const env = Object.fromEntries(app(command).properties.template.containers[0]?.env.map((v) => [v.name, v.value ?? (v.name === 'IMGBATCH_API_TOKEN' ? 'placeholder-token-0123456789' : 'rediss://:x@redis.example:6380')]) ?? []);
      const file = join(work, basename(env.IMGBATCH_CONFIG ?? 'missing'));
      await writeFile(file, JSON.stringify(template.parameters.imgbatchConfig?.defaultValue));
      return configFor(env, file);
    }

    beforeAll(async () => {
      template = JSON.parse(await readFile(CONTAINER_APPS_TEMPLATE, 'utf8')) as Template;
    });

    it('scales workers on the same waiting list as KEDA on Kubernetes, never below one, with the Redis password from a secret', async () => {
      const worker = app('worker');
      const { redisPrefix } = await containerConfig('worker');
      const [rule] = worker.properties.template.scale.rules ?? [];
      expect(rule?.custom.type).toBe('redis');
      expect(rule?.custom.metadata.listName).toBe(waitingListKey(redisPrefix));
      expect(rule?.custom.auth).toEqual([{ secretRef: 'redis-password', triggerParameter: 'password' }]);
      expect(worker.properties.template.scale.minReplicas).toBeGreaterThanOrEqual(1);
      const keda = find('ScaledObject', 'imgbatch-worker').spec as { triggers: { metadata: Record<string, string> }[] };
      expect(rule?.custom.metadata.listName).toBe(keda.triggers[0]?.metadata.listName);
    });

    it("gives workers Container Apps' longest grace period, which covers the longest image call", () => {
      expect(app('worker').properties.template.terminationGracePeriodSeconds).toBe(CONTAINER_APPS_MAX_GRACE_S);
      expect(CONTAINER_APPS_MAX_GRACE_S).toBeGreaterThanOrEqual(LONGEST_CALL_TIMEOUT_S);
    });

    it('signs in to Azure OpenAI and Blob Storage as one user-assigned managed identity, with no key anywhere', async () => {
      for (const command of ['worker', 'serve']) {
        const containerApp = app(command);
        expect(containerApp.identity?.type, command).toBe('UserAssigned');
        const container = containerApp.properties.template.containers[0];
        expect(container?.env.find((v) => v.name === 'AZURE_CLIENT_ID')?.value, command).toMatch(/^\[reference\(.*\)\.clientId\]$/);
        for (const variable of container?.env ?? []) {
          expect([...CONFIG_ENV_NAMES, ...IDENTITY_SDK_ENV_NAMES], `${command}: ${variable.name}`).toContain(variable.name);
          if (SECRET_ENV_NAMES.includes(variable.name)) expect(variable.secretRef, `${command}: ${variable.name}`).toBeDefined();
        }
        const config = await containerConfig(command);
        expect(config.deployments.map((d) => d.auth.kind), command).toEqual(config.deployments.map(() => 'entra'));
        expect(config.store, command).toMatchObject({ kind: 'blob', accountUrl: expect.stringMatching(/^https:\/\//) as unknown });
        // The config file is a secret volume mounted where IMGBATCH_CONFIG points.
        const configPath = container?.env.find((v) => v.name === 'IMGBATCH_CONFIG')?.value ?? '';
        const mount = container?.volumeMounts.find((m) => m.mountPath === dirname(configPath));
        const volume = containerApp.properties.template.volumes.find((v) => v.name === mount?.volumeName);
        expect(volume?.storageType, command).toBe('Secret');
        expect(volume?.secrets.map((s) => s.path), command).toEqual([basename(configPath)]);
      }
      for (const secret of ['redisPassword', 'apiToken']) expect(template.parameters[secret]?.type, secret).toBe('securestring');
    });
  });

  it('names the list BullMQ 6 really fills: jobs the producer adds wait there until a worker takes them', async () => {
    const redis = connectTestRedis();
    const prefix = uniquePrefix('keda');
    const producer = createProducer({ connection: inject('redisUrl'), prefix });
    try {
      const result = await producer.enqueue([{ id: 'kite', prompt: 'A kite over a beach', model: 'gpt-image-1-mini', n: 2 }], { batchId: 'scale-rule' });
      expect(result.jobsAdded).toBeGreaterThan(0);
      expect(await redis.llen(waitingListKey(prefix))).toBe(result.jobsAdded);
    } finally {
      await producer.close();
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    }
  });
});

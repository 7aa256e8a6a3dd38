/**
 * A benchmark's producer in a process of its own: enqueuing thousands of jobs takes the event
 * loop for a second or two, and in the benchmark's process it would hold up the simulator there,
 * which then stamps the calls arriving meanwhile late and together (a burst no worker sent).
 *
 *   node --import tsx scripts/bench/enqueue-images.ts <count> <model> <batchId>
 *
 * with REDIS_URL and IMGBATCH_REDIS_PREFIX set; exits 0 once every job is in Redis.
 */
import { createProducer } from '../../src/queue/producer.js';

const [countText = '', model = '', batchId = ''] = process.argv.slice(2);
const count = Number(countText);
const connection = process.env.REDIS_URL;
if (!Number.isInteger(count) || count < 1 || model === '' || batchId === '' || connection === undefined) {
  process.stderr.write('usage: enqueue-images.ts <count> <model> <batchId> (REDIS_URL and IMGBATCH_REDIS_PREFIX set)\n');
  process.exit(2);
}
const producer = createProducer({ connection, prefix: process.env.IMGBATCH_REDIS_PREFIX ?? 'imgbatch' });
try {
  await producer.enqueue(
    Array.from({ length: count }, (_, i) => ({ id: `img${i}`, prompt: `benchmark image ${i}`, model })),
    { batchId },
  );
} finally {
  await producer.close();
}

// After the load: evidence that the measured gateway really had metrics and usage recording on
// (a gateway that silently skipped them would look cheaper than it is).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return total;
}

export async function switchboardChecks(metricsUrl: string, dataDir: string): Promise<string[]> {
  const notes: string[] = [];
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    const series = text.split('\n').filter((line) => line && !line.startsWith('#')).length;
    notes.push(`GET /metrics on METRICS_PORT answered HTTP ${res.status} with ${series} samples.`);
  } catch (err) {
    notes.push(`GET /metrics on METRICS_PORT failed: ${err instanceof Error ? err.message : String(err)}.`);
  }
  try {
    notes.push(`SWITCHBOARD_DATA_DIR holds ${(directoryBytes(dataDir) / 1024).toFixed(0)} KiB after the run (usage records).`);
  } catch (err) {
    notes.push(`SWITCHBOARD_DATA_DIR unreadable: ${err instanceof Error ? err.message : String(err)}.`);
  }
  return notes;
}

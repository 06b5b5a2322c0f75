// Preloaded into the consumer process by the end-to-end bench (`node --import`): at exit, writes the process's
// own CPU time, peak RSS and its RSS sampled every 250 ms to the file named by BENCH_USAGE_FILE, so the bench
// measures the real `npm run consume` without the consumer knowing it is measured (the samples show whether the
// memory stays flat over a long backlog).
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file !== undefined) {
  const started = performance.now();
  /** [ms since start, RSS bytes] */
  const rssSamples = [];
  const sample = () => rssSamples.push([Math.round(performance.now() - started), process.memoryUsage.rss()]);
  setInterval(sample, 250).unref();
  process.on('exit', () => {
    sample();
    const cpu = process.cpuUsage();
    writeFileSync(
      file,
      JSON.stringify({
        cpuUs: cpu.user + cpu.system,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        rssSamples,
      }),
    );
  });
}

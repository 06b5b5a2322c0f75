// Preloaded into the consumer process by the end-to-end bench (`node --import`): at exit, writes the process's
// own CPU time and peak RSS to the file named by BENCH_USAGE_FILE, so the bench measures the real
// `npm run consume` without the consumer knowing it is measured.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file !== undefined) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    writeFileSync(
      file,
      JSON.stringify({ cpuUs: cpu.user + cpu.system, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
    );
  });
}

// The end-to-end bench's own arithmetic: memory per tenth of a run, when it counts as flat, where a client runs.

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { formatLatency, peaksPerTenth, rssFlat } from '../../bench/e2e.js';
import { allCores, CLIENT_CORE, cannotPin, placedCommand } from '../../bench/placement.js';

const MB = 1024 * 1024;

describe('peaksPerTenth', () => {
  it('keeps the highest sample of each tenth of the run, in MB', () => {
    const samples: [number, number][] = [];
    for (let ms = 0; ms <= 10_000; ms += 250) samples.push([ms, (100 + Math.floor(ms / 1_000)) * MB]);
    samples.push([4_100, 180 * MB]);
    expect(peaksPerTenth(samples)).toEqual([100, 101, 102, 103, 180, 105, 106, 107, 108, 110]);
  });

  it('fills a tenth without a sample with the peak next to it, and has nothing for no samples', () => {
    expect(
      peaksPerTenth([
        [300, 70 * MB],
        [1_000, 80 * MB],
      ]),
    ).toEqual([70, 70, 70, 70, 70, 70, 70, 70, 70, 80]);
    expect(
      peaksPerTenth([
        [450, 70 * MB],
        [500, 75 * MB],
        [1_000, 80 * MB],
      ]),
    ).toEqual([70, 70, 70, 70, 70, 75, 75, 75, 75, 80]);
    expect(
      peaksPerTenth([
        [0, 50 * MB],
        [1_000, 60 * MB],
      ]),
    ).toEqual([50, 50, 50, 50, 50, 50, 50, 50, 50, 60]);
    expect(peaksPerTenth([])).toEqual([]);
  });
});

describe('rssFlat', () => {
  it('calls memory flat when the second half peaks at most 10 % above the first', () => {
    expect(rssFlat([150, 160, 160, 158, 160, 170, 172, 175, 176, 176])).toBe(true);
    expect(rssFlat([150, 160, 160, 158, 160, 170, 172, 175, 176, 177])).toBe(false);
    expect(rssFlat([120, 140, 160, 180, 200, 220, 240, 260, 280, 300])).toBe(false);
  });
});

describe('placedCommand', () => {
  it('runs a pinned client through taskset on the client core, an unpinned one as it is', () => {
    expect(placedCommand('pinned', 'node', ['a.js', '--x'])).toEqual({
      command: 'taskset',
      args: ['-c', CLIENT_CORE, 'node', 'a.js', '--x'],
    });
    expect(placedCommand('unpinned', 'node', ['a.js'])).toEqual({ command: 'node', args: ['a.js'] });
  });
});

describe.runIf(cannotPin() === undefined)('allCores', () => {
  it('names every core of the machine, also from a process pinned to one (as the bench is after a pinned run)', () => {
    expect(allCores()).toBe(`0-${cpus().length - 1}`);
    const fromPinned = execFileSync(
      'taskset',
      [
        '-c',
        CLIENT_CORE,
        process.execPath,
        '--import',
        'tsx',
        '-e',
        "import('./bench/placement.ts').then((m) => process.stdout.write(m.allCores()))",
      ],
      { encoding: 'utf8' },
    );
    expect(fromPinned).toBe(`0-${cpus().length - 1}`);
  });
});

describe('formatLatency', () => {
  it('prints the pipeline latency (until indexed) and the searchable one with the refresh interval it waits for', () => {
    expect(
      formatLatency({
        rate: 20_000,
        probes: 199,
        refreshInterval: '500ms',
        indexed: { p50Ms: 28, p99Ms: 132 },
        p50Ms: 383,
        p99Ms: 722,
      }),
    ).toEqual([
      'produce -> indexed (a realtime GET finds it) at 20,000 ev/s: p50 28 ms, p99 132 ms (199 probes)',
      'produce -> searchable (then the next refresh, every 500ms): p50 383 ms, p99 722 ms',
    ]);
  });
});

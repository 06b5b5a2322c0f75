// The V8 heap of a long-running consumer process (the Fargate task, `npm run consume`), set explicitly. Left to
// itself, Node sizes the heap from the memory limit it sees: in a 1 GiB cgroup, as a 1 GiB task has, Node 20 took
// a 512 MiB old generation and 4 MiB semi-spaces (heap_size_limit 524 MiB; nodejs/node#55487), and V8 lets the old
// generation grow the less between collections the smaller its maximum. The consumer keeps several chunks in
// flight, so its records live through a few young-generation collections whatever its size: a larger one saves
// the number of collections that copy them. Measured on 1,000,000-event backlogs, alternating, in such a cgroup:
// 16.0-16.4 µs of CPU per event and RSS 148-154 MB with Node's defaults, 11.1-13.7 µs and 212-217 MB with these
// (11.3-12.3 µs and 272-276 MB with the defaults of the 24 GiB machine, outside the cgroup). Semi-spaces of 16
// MiB cost about 2 µs per event more than 32; 64 saved little more and took 90 MB more.

/** The Fargate consumer task's memory: what the heap below is sized for. */
export const CONSUMER_MEMORY_MIB = 1024;

/** Per semi-space (the young generation is three of them): 16 MiB cost 2 µs per event more than 32, 64 saved little. */
const SEMI_SPACE_MIB = 32;
/** Of the task's memory, what is not old generation: the young generation, code, and buffers outside the heap. */
const OUTSIDE_OLD_SPACE_MIB = 256;

/** node's options for a consumer process in `memoryMiB` of memory. */
export function consumerNodeOptions(memoryMiB = CONSUMER_MEMORY_MIB): string[] {
  return [
    `--max-old-space-size=${memoryMiB - OUTSIDE_OLD_SPACE_MIB}`,
    `--max-semi-space-size=${SEMI_SPACE_MIB}`,
  ];
}

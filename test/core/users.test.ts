import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../core/errors.js';
import { DEVICES } from '../../core/event.js';
import { UsersLookup, type UsersSource } from '../../core/users.js';
import { defaultDeviceFor } from '../../core/users-schema.js';

class FakeSource implements UsersSource {
  calls: number[][] = [];
  failing = false;
  constructor(private readonly table: Map<number, string>) {}
  async defaultDevices(ids: readonly number[]) {
    this.calls.push([...ids]);
    if (this.failing) throw new DatabaseUnavailableError('down');
    return new Map([...this.table].filter(([id]) => ids.includes(id)));
  }
}

/** A source whose queries stay open until the test settles them, so lookups can overlap. */
class DeferredSource implements UsersSource {
  calls: number[][] = [];
  private readonly settlers: { resolve: (found: Map<number, string>) => void; reject: (e: Error) => void }[] =
    [];
  constructor(private readonly table: Map<number, string>) {}
  defaultDevices(ids: readonly number[]) {
    this.calls.push([...ids]);
    return new Promise<Map<number, string>>((resolve, reject) => this.settlers.push({ resolve, reject }));
  }
  answer(call: number) {
    const ids = this.calls[call];
    this.settlers[call].resolve(new Map([...this.table].filter(([id]) => ids.includes(id))));
  }
  fail(call: number, error: Error) {
    this.settlers[call].reject(error);
  }
}

describe('UsersLookup', () => {
  it('asks the source once per lookup, for the distinct uncached ids only', async () => {
    const source = new FakeSource(
      new Map([
        [1, 'IOS'],
        [2, 'WEB'],
      ]),
    );
    const users = new UsersLookup(source);
    const first = await users.lookup([1, 2, 2, 1, 3]);
    const second = await users.lookup([2, 3, 4]);
    expect(source.calls).toEqual([[1, 2, 3], [4]]);
    expect([...first]).toEqual([
      [1, 'IOS'],
      [2, 'WEB'],
      [3, null],
    ]);
    expect([...second]).toEqual([
      [2, 'WEB'],
      [3, null],
      [4, null],
    ]);
    expect(users.queries).toBe(2);
  });

  it('sends no query when every id is cached', async () => {
    const source = new FakeSource(new Map([[1, 'IOS']]));
    const users = new UsersLookup(source);
    await users.lookup([1]);
    await users.lookup([1]);
    expect(source.calls).toHaveLength(1);
  });

  it('asks again once an entry is older than the TTL', async () => {
    let now = 1_000;
    const source = new FakeSource(new Map([[1, 'IOS']]));
    const users = new UsersLookup(source, { ttlMs: 100, now: () => now });
    await users.lookup([1]);
    now += 99;
    await users.lookup([1]);
    now += 1;
    await users.lookup([1]);
    expect(source.calls).toEqual([[1], [1]]);
  });

  it('refuses a cache of no entries, and keeps one answer with maxEntries 1', async () => {
    const source = new FakeSource(new Map([[1, 'IOS']]));
    expect(() => new UsersLookup(source, { maxEntries: 0 })).toThrow(RangeError);
    const users = new UsersLookup(source, { maxEntries: 1 });
    await users.lookup([1]);
    await users.lookup([1]);
    expect(source.calls).toEqual([[1]]);
  });

  it('evicts the oldest entries beyond maxEntries', async () => {
    const source = new FakeSource(new Map());
    const users = new UsersLookup(source, { maxEntries: 2 });
    await users.lookup([1, 2, 3]);
    expect(users.size).toBe(2);
    await users.lookup([2, 3]);
    expect(source.calls).toHaveLength(1);
    await users.lookup([1]);
    expect(source.calls).toEqual([[1, 2, 3], [1]]);
  });

  it('propagates a database failure instead of answering unknown, and caches nothing', async () => {
    const source = new FakeSource(new Map([[1, 'IOS']]));
    const users = new UsersLookup(source);
    source.failing = true;
    await expect(users.lookup([1])).rejects.toBeInstanceOf(DatabaseUnavailableError);
    source.failing = false;
    expect([...(await users.lookup([1]))]).toEqual([[1, 'IOS']]);
  });

  it('sends one query for an account that several concurrent lookups miss', async () => {
    const source = new DeferredSource(new Map([[1, 'IOS']]));
    const users = new UsersLookup(source);

    const lookups = [users.lookup([1]), users.lookup([1]), users.lookup([1])];
    source.answer(0);
    const results = await Promise.all(lookups);

    expect(source.calls).toEqual([[1]]);
    expect(users.queries).toBe(1);
    for (const result of results) expect([...result]).toEqual([[1, 'IOS']]);
  });

  it('queries only the ids that no in-flight query covers, and awaits the other query for the rest', async () => {
    const source = new DeferredSource(
      new Map([
        [1, 'IOS'],
        [2, 'WEB'],
      ]),
    );
    const users = new UsersLookup(source);

    const first = users.lookup([1]);
    const second = users.lookup([1, 2]);
    expect(source.calls).toEqual([[1], [2]]);
    source.answer(1);
    source.answer(0);

    expect([...(await first)]).toEqual([[1, 'IOS']]);
    expect(new Map(await second)).toEqual(
      new Map([
        [1, 'IOS'],
        [2, 'WEB'],
      ]),
    );
    expect(users.queries).toBe(2);
  });

  it('fails every lookup waiting on a shared query that fails, caches nothing, and asks again next time', async () => {
    const source = new DeferredSource(new Map([[1, 'IOS']]));
    const users = new UsersLookup(source);

    const first = users.lookup([1]);
    const second = users.lookup([1]);
    source.fail(0, new DatabaseUnavailableError('users lookup timed out after 5000 ms'));

    await expect(first).rejects.toThrow('users lookup timed out after 5000 ms');
    await expect(second).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(users.size).toBe(0);
    const third = users.lookup([1]);
    source.answer(1);
    expect([...(await third)]).toEqual([[1, 'IOS']]);
    expect(users.queries).toBe(2);
  });

  it('fails a lookup whose own query succeeds when a query it waits on fails', async () => {
    const source = new DeferredSource(new Map([[2, 'WEB']]));
    const users = new UsersLookup(source);

    const first = users.lookup([1]);
    const second = users.lookup([1, 2]);
    source.answer(1);
    source.fail(0, new DatabaseUnavailableError('down'));

    await expect(first).rejects.toThrow('down');
    await expect(second).rejects.toThrow('down');
    expect([...(await users.lookup([2]))]).toEqual([[2, 'WEB']]);
    expect(users.queries).toBe(2);
  });
});

describe('defaultDeviceFor', () => {
  it('spreads accounts over every device', () => {
    const counts = new Map<string, number>();
    for (let id = 1; id <= 10_000; id++)
      counts.set(defaultDeviceFor(id), (counts.get(defaultDeviceFor(id)) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...DEVICES].sort());
    for (const n of counts.values()) expect(n).toBeGreaterThan(2_000);
  });

  // A seeded users table and the generator's ground truth are computed apart (another process, another
  // release): a changed mapping would silently turn good events into suspicious ones and the counts differ.
  it('gives every account the same device as the seeds and ground truths already written', () => {
    const pinned: [number, string][] = [
      [1, 'DESKTOP'],
      [4, 'IOS'],
      [5, 'WEB'],
      [123_456_789_012, 'IOS'],
      [2 ** 32 + 1, 'WEB'], // not 1's device: the bits above 32 count
      [Number.MAX_SAFE_INTEGER, 'ANDROID'],
    ];
    expect(pinned.map(([id]) => [id, defaultDeviceFor(id)])).toEqual(pinned);
  });
});

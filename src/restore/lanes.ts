// Restore scheduling: which objects the pool threads unpack at the same time. Two threads writing pieces of the
// same file contend for its inode lock (measured: a fifth of all CPU time spinning in the kernel when both wrote
// the same 1 GiB segment), so objects are grouped by the file they feed, each group goes to one lane (largest
// groups first, to the least loaded lane), and a lane that runs dry takes work from the back of the fullest one.

/** One unit of work and the file (group) it writes; `bytes` balances the lanes. */
export interface LaneItem<T> {
  readonly group: string;
  readonly bytes: number;
  readonly value: T;
}

/** Lanes of work; `take(lane)` hands out the next item for that lane, stealing when it is empty. */
export interface Lanes<T> {
  take(lane: number): T | undefined;
}

/** Builds `count` lanes from `items` (order within a group is kept, so a lane writes its files front to back). Pure. */
export const planLanes = <T>(items: readonly LaneItem<T>[], count: number): Lanes<T> => {
  const groups = new Map<string, LaneItem<T>[]>();
  for (const item of items) groups.set(item.group, [...(groups.get(item.group) ?? []), item]);
  const size = (group: readonly LaneItem<T>[]) => group.reduce((sum, item) => sum + item.bytes, 0);
  const lanes = Array.from({ length: Math.max(1, count) }, () => ({ queue: [] as LaneItem<T>[], bytes: 0 }));
  for (const group of [...groups.values()].sort((a, b) => size(b) - size(a))) {
    const lane = lanes.reduce((least, candidate) => (candidate.bytes < least.bytes ? candidate : least));
    lane.queue.push(...group);
    lane.bytes += size(group);
  }
  return {
    take: (index) => {
      const own = lanes[index];
      if (!own) return undefined;
      const mine = own.queue.shift();
      if (mine) {
        own.bytes -= mine.bytes;
        return mine.value;
      }
      const victim = lanes.reduce((most, candidate) => (candidate.bytes > most.bytes ? candidate : most));
      const stolen = victim.queue.pop();
      if (!stolen) return undefined;
      victim.bytes -= stolen.bytes;
      return stolen.value;
    },
  };
};

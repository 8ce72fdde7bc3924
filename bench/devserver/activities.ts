/** Activities for bench/devserver.ts. */
export function createBenchActivities() {
  return {
    async noop(n: number): Promise<number> {
      return n;
    },
  };
}

export type TBenchActivities = ReturnType<typeof createBenchActivities>;

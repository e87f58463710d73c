// Temp folders of finished benchmarks are removed when the whole run ends, not between
// benchmarks. On a file system without a journal (ext4 here, as on the CI machines) the kernel
// avoids reusing an inode deleted in the last 5 minutes (`recently_deleted()` in ext4's inode
// allocator), and every new file walks past all of them: after one benchmark removed the
// 16 000 files of 2000 pods, the next one's container starts spent a third of the machine's CPU
// in that walk (perf), and 2000 pods took 13-17 s to start instead of 8-9 s. Removing at the
// end keeps one benchmark's clean-up out of the next one's figures.
import { rmSync } from 'node:fs';

const discarded = new Set<string>();

/** Marks `dir` for removal at the end of the run (removeDiscarded). */
export function discardLater(dir: string): void {
  discarded.add(dir);
}

/**
 * Removes every folder marked by discardLater (at the end of the run, or when interrupted), unless
 * BERTH_BENCH_KEEP=1 asks to keep them (to read an agent's state and logs afterwards).
 */
export function removeDiscarded(): void {
  if (process.env.BERTH_BENCH_KEEP === '1') {
    if (discarded.size > 0) console.error(`bench: BERTH_BENCH_KEEP=1: kept ${[...discarded].join(' ')}`);
    discarded.clear();
    return;
  }
  for (const dir of discarded) rmSync(dir, { recursive: true, force: true });
  discarded.clear();
}

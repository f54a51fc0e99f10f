// Child side of the load protocol: after its warm-up a load child prints {"warm":true} and waits for
// one line on stdin, so the harness can read the target's counters between warm-up and measurement
// while the child keeps its connections (and its JIT) warm.

export async function announceWarmAndAwaitGo(): Promise<void> {
  process.stdout.write('{"warm":true}\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy(); // nothing more to read, and an open stdin would keep the process alive
}

/** Exit when the harness goes away (stdin closes) or after `maxSeconds`, whichever comes first. */
export function exitWithHarness(maxSeconds: number): void {
  process.stdin.on('end', () => process.exit(4));
  setTimeout(() => process.exit(3), maxSeconds * 1000).unref();
}

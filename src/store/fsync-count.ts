/**
 * How many fsyncs this process has made on the state directory: the bench counts those
 * between an approval and the first relay edge (`approval_fsyncs`); each one costs far more on
 * a Pi's SD card than on a server's disk.
 */
let count = 0;

export function countFsync(): void {
  count++;
}

export function fsyncCount(): number {
  return count;
}

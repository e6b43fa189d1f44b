// Package atomicfile writes files so that a reader, a failure or a kill at
// any moment sees either the old content of a path or the whole new one,
// never a partial file.
//
// Invariants:
//   - Bytes go to a temporary file in the destination's folder, named
//     ".NAME.tmp<pid>-<random>", which is synced and then renamed over the
//     destination (a rename within one folder is atomic on POSIX systems).
//   - A temporary file of ours whose process is gone (killed during a write)
//     is removed by the next write to the same path; one whose process still
//     runs is left alone. Temporary names from before the pid was part of
//     the name (".NAME.tmp<digits>") count as stale.
//   - A Set writes several files all or none: every file is written to its
//     temporary name first, and only when all of them are complete are they
//     renamed, in order. A failure before the renames removes every
//     temporary file and changes no destination.
//   - CheckWritable answers "could a write to this path succeed" by
//     creating and removing a temporary file in its folder, so commands
//     can refuse a bad output path before they start working.
package atomicfile

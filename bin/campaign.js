#!/usr/bin/env node
import v8 from 'node:v8';

// V8 learns from an object's allocation site whether to create it straight in the old generation.
// A send's rows and in-flight requests, and the lint's chunks, live just long enough to survive a
// scavenge or two and then die, so that feedback misfires: objects are pretenured that die young
// (full collections clean them) and sites flip back and forth (deopts). Set before any of our code
// loads; worker threads share the flag. Measured in the README (Benchmarks, ninth round).
v8.setFlagsFromString('--no-allocation-site-pretenuring');
await import('../dist/cli/main.js');

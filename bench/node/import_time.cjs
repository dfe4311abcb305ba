// Prints the seconds one require(MODULE) takes in a fresh process (run by bench/run.py).
const started = process.hrtime.bigint();
require(process.argv[2]);
console.log(Number(process.hrtime.bigint() - started) / 1e9);

// Prints how long importing the package takes in this fresh process (ms), then exits.
const started = performance.now();
await import(process.argv[2]);
console.log(performance.now() - started);

// The worker file for poolifier's cluster pool (processes): the benchmark's task functions by name.
// CommonJS on purpose: poolifier sends its start-up message when the worker process comes online,
// and an ES module worker has not registered its message listener yet by then (the pool never
// becomes ready). `require` of the ES module targets.mjs works on Node >= 20.19.
const { ClusterWorker } = require('poolifier');
const { double, spin } = require('./targets.mjs');

module.exports = new ClusterWorker({ double, spin });

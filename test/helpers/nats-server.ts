/**
 * A real broker for the scale-out tests: Debian's nats-server with JetStream, on a loopback port of
 * its own with a store of its own, started and stopped by the test (src/cluster/local-broker.ts,
 * which the distributed bench uses too). `stop()` then `start()` is a broker restart.
 */
export { startLocalBroker as startNatsServer, type LocalBroker as NatsServer } from '../../src/cluster/local-broker.js';

// The conformance suite on the embedded engine (one hub node).
import { memoryCluster } from '../helpers/cluster.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('memory engine, one node', memoryCluster);

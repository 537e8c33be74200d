#!/usr/bin/env node
// `fabric-lab`: the command line over the same fabric and package reader. (Verbs arrive with the package reader.)
console.error('fabric-lab: no verbs yet');
process.exit(2);

// Validates SARIF logs against the official 2.1.0 JSON schema (the copy shipped in
// the @microsoft/sarif-multitool package), independently of the multitool itself.
// usage: node sarif_schema.js SCHEMA LOG...   exit 0 all valid, 1 otherwise
'use strict';
const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const [schemaPath, ...logs] = process.argv.slice(2);
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);
let bad = 0;
for (const log of logs) {
  const ok = validate(JSON.parse(fs.readFileSync(log, 'utf8')));
  if (ok) {
    console.log(`schema: ${log}: valid`);
  } else {
    bad++;
    for (const e of validate.errors) console.log(`schema: ${log}: ${e.instancePath} ${e.message}`);
  }
}
process.exit(bad ? 1 : 0);
